import { useI18n } from 'vue-i18n'
import { useLocationsStore } from '../locations/store'
import { folderWords, whereText } from './folder-words'

/** "하드디스크 · HKD · yessign" for a certificate folder, from the roots the locations store knows. */
export function useWhere(): (path: string) => string {
  const loc = useLocationsStore()
  const { t } = useI18n()
  if (loc.locations.length === 0 && !loc.loading) void loc.load()
  return (path: string) => whereText(folderWords(path, loc.locations), (k) => t(`location.${k}`)) || t('openFolder.certFolder')
}
