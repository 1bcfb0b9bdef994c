// The bundled face's stylesheets by slice group (electron.vite.config.ts builds them).
declare module '@fontsource/noto-sans-kr/*.css?slices=first'
declare module '@fontsource/noto-sans-kr/*.css?slices=common'
declare module '@fontsource/noto-sans-kr/*.css?slices=rare'
