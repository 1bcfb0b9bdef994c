// Korean messages of choosing files and folders (picker, drag and drop, open with, 폴더 열기),
// merged into ko.ts under `files`. en ones must match key for key. No `|`, `@`, `$`; braces
// only for parameters.
const filesKo = {
  title: {
    'open-pfx': 'PFX 파일 선택',
    'save-pfx': 'PFX 파일을 저장할 곳',
    folder: '폴더 선택',
  },
  places: '바로 가기',
  place: { home: '내 폴더', drive: '이동식디스크', npki: 'NPKI 폴더' },
  up: '상위 폴더',
  current: '현재 폴더',
  empty: '이 폴더에는 고를 수 있는 항목이 없습니다.',
  truncated: '항목이 너무 많아 일부만 보여 줍니다.',
  fileName: '파일 이름',
  fileNameBad: '파일 이름은 .pfx 또는 .p12로 끝나야 하며 폴더 구분 문자(슬래시)를 쓸 수 없습니다.',
  choose: '선택',
  chooseFolder: '이 폴더 선택',
  save: '여기에 저장',
  cancel: '취소',
  loading: '폴더를 읽는 중…',
  pick: {
    exportTo: '저장할 곳 선택…',
    importFrom: 'PFX 파일 선택…',
    folder: '폴더 선택…',
    change: '바꾸기…',
    chosen: '선택한 곳: {path}',
    advanced: '경로를 직접 입력 (고급)',
  },
  drop: {
    hint: '.pfx / .p12 파일을 놓으면 가져오기를 엽니다',
    notPfx: '끌어다 놓은 파일은 PFX(.pfx, .p12)가 아닙니다.',
    folderTitle: '끌어다 놓은 인증서 폴더',
    folderHelp: '{name} 폴더의 인증서(signCert.der, signPri.key)를 어디로 복사할지 고르세요.',
    folderNotCert: '끌어다 놓은 폴더에 signCert.der와 signPri.key가 없습니다.',
    folderCopy: '복사하기',
    folderDone: '복사했습니다: {path}',
  },
  opened: 'PFX 파일을 열었습니다: {name}',
  reveal: {
    button: '폴더 열기',
    web: '브라우저에서는 파일 관리자를 열 수 없습니다. 이 폴더에 있습니다: {folder}',
    copy: '경로 복사',
    copied: '복사했습니다',
  },
}

export default filesKo
