import type filesKo from './messages-ko'

// English messages of choosing files and folders; same keys as messages-ko.ts.
const filesEn: typeof filesKo = {
  title: {
    'open-pfx': 'Choose a PFX file',
    'save-pfx': 'Where to save the PFX file',
    folder: 'Choose a folder',
  },
  places: 'Places',
  place: { home: 'Home folder', drive: 'Removable drive', npki: 'NPKI folder' },
  up: 'Up one folder',
  current: 'Current folder',
  empty: 'Nothing to choose in this folder.',
  truncated: 'This folder has too many entries; only some are shown.',
  fileName: 'File name',
  fileNameBad: 'The file name must end in .pfx or .p12 and cannot contain folder separators (slashes).',
  choose: 'Choose',
  chooseFolder: 'Choose this folder',
  save: 'Save here',
  cancel: 'Cancel',
  loading: 'Reading the folder…',
  pick: {
    exportTo: 'Choose where to save…',
    importFrom: 'Choose a PFX file…',
    folder: 'Choose a folder…',
    change: 'Change…',
    chosen: 'Chosen: {path}',
    advanced: 'Type a path instead (advanced)',
  },
  drop: {
    hint: 'Drop a .pfx / .p12 file to open the import, or a certificate folder (signCert.der and signPri.key) to copy it',
    notPfx: 'The dropped file is not a PFX (.pfx, .p12).',
    folderTitle: 'Dropped certificate folder',
    folderHelp: 'Choose where to copy the certificate of the folder {name} (signCert.der, signPri.key).',
    folderNotCert: 'The dropped folder has no signCert.der and signPri.key.',
    folderQuestion: 'Where should this certificate be copied?',
    folderOwner: 'Owner',
    folderIssuer: 'Issuer',
    folderExpiry: 'Expires',
    folderDest: 'Copy to',
    folderNoDest: 'There is no place to copy to.',
    folderCancel: 'Cancel',
    folderReading: 'Reading the folder…',
    folderCopy: 'Copy',
    folderDone: 'Copied: {path}',
  },
  opened: 'Opened the PFX file: {name}',
  reveal: {
    button: 'Open folder',
    web: 'A browser cannot open the file manager. The certificate is in this folder: {folder}',
    copy: 'Copy path',
    copied: 'Copied',
  },
}

export default filesEn
