// SVG -> PNG with @resvg/resvg-js (a Rust SVG renderer: no browser, no native build of ours; prebuilt binaries).
import { Resvg } from '@resvg/resvg-js';

export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
