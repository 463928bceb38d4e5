// SVG to PNG through resvg (@resvg/resvg-js, a prebuilt native binary shipped in its npm
// package). Text is drawn with DejaVu Sans from the dejavu-fonts-ttf package rather than the
// system's fonts: a bare machine may have none, and the plots' layout assumes its widths.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

let fontFiles: string[] | null = null;

function fonts(): string[] {
  if (!fontFiles) {
    const dir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    fontFiles = [join(dir, 'DejaVuSans.ttf'), join(dir, 'DejaVuSans-Bold.ttf')];
  }
  return fontFiles;
}

/** The SVG rendered at its own width and height (user units as pixels). */
export function svgToPng(svg: string): Buffer {
  const r = new Resvg(svg, {
    background: '#ffffff',
    font: {
      loadSystemFonts: false,
      fontFiles: fonts(),
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return r.render().asPng();
}
