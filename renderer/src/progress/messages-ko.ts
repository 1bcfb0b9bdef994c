/** A long operation's progress: the stage it is in, its share done, and its 취소. */
export default {
  /** The label above the bar: the stage's words and the share done. */
  label: '{stage}… {percent}%',
  stage: {
    start: '시작하는 중',
    check: '확인하는 중',
    read: '인증서를 읽는 중',
    open: '비밀번호로 개인키를 여는 중',
    encrypt: '새 비밀번호로 개인키를 암호화하는 중',
    write: '저장하는 중',
    verify: '저장한 인증서를 확인하는 중',
    remove: '원래 위치의 인증서를 지우는 중',
    trash: '휴지통으로 옮기는 중',
    restore: '복원하는 중',
    done: '마무리하는 중',
    'pfx-kdf': '키 해독 중',
    'pfx-export': 'PFX 파일을 만드는 중',
  },
  cancel: '취소',
  cancelling: '취소하는 중…',
  noCancel: '저장을 시작해 이제는 취소할 수 없습니다. 곧 끝납니다.',
  cancelled: '취소했습니다. 아무것도 바뀌지 않았습니다.',
  cancelledExport: '취소했습니다. PFX 파일을 만들지 않았습니다.',
}
