import type ko from './messages-ko'

const progressEn: typeof ko = {
  label: '{stage}… {percent}%',
  stage: {
    start: 'Starting',
    check: 'Checking',
    read: 'Reading the certificate',
    open: 'Opening the private key with the password',
    encrypt: 'Encrypting the private key under the new password',
    write: 'Saving',
    verify: 'Checking the saved certificate',
    remove: 'Removing the certificate from where it was',
    trash: 'Moving to the trash',
    restore: 'Restoring',
    done: 'Finishing',
    'pfx-kdf': 'Decrypting the key',
    'pfx-export': 'Making the PFX file',
  },
  cancel: 'Cancel',
  cancelling: 'Cancelling…',
  noCancel: 'Saving has begun and can no longer be cancelled. It will finish shortly.',
  cancelled: 'Cancelled. Nothing was changed.',
  cancelledExport: 'Cancelled. No PFX file was made.',
}
export default progressEn
