/**
 * An RGB pixel buffer and the few fills the synthetic scenes need. Inclusion is decided at pixel
 * centres with additions and multiplications only (no `Math.hypot`, `sin`, `cos` or `**`, which
 * engines may round differently), so the same scene gives the same bytes in Node and in every
 * browser.
 */

/** A colour as 8-bit R, G, B. */
export type Rgb = readonly [number, number, number];

/** Pixels row by row, three bytes (R, G, B) each. */
export interface Raster {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** A `width`×`height` raster filled with `background`. */
export function createRaster(width: number, height: number, background: Rgb): Raster {
  const rgb = new Uint8Array(width * height * 3);
  if (rgb.length === 0) return { width, height, rgb };
  rgb.set(background);
  // Doubling copies: a handful of memmoves instead of a call per pixel.
  for (let filled = 3; filled < rgb.length; filled *= 2)
    rgb.copyWithin(filled, 0, Math.min(filled, rgb.length - filled));
  return { width, height, rgb };
}

/** Paints every pixel of the box [x0, x1) × [y0, y1) (clipped to the raster) where `inside(x, y)` holds. */
export function fillWhere(
  raster: Raster,
  box: { x0: number; y0: number; x1: number; y1: number },
  colour: Rgb,
  inside: (x: number, y: number) => boolean = () => true,
): void {
  const x0 = Math.max(0, Math.floor(box.x0));
  const y0 = Math.max(0, Math.floor(box.y0));
  const x1 = Math.min(raster.width, Math.ceil(box.x1));
  const y1 = Math.min(raster.height, Math.ceil(box.y1));
  const [r, g, b] = colour;
  const { rgb, width } = raster;
  for (let y = y0; y < y1; y++) {
    for (let x = x0, i = (y * width + x0) * 3; x < x1; x++, i += 3) {
      if (!inside(x, y)) continue;
      rgb[i] = r;
      rgb[i + 1] = g;
      rgb[i + 2] = b;
    }
  }
}

/** A filled axis-aligned rectangle (clipped to the raster). */
export function fillRect(raster: Raster, x: number, y: number, width: number, height: number, colour: Rgb): void {
  // The hot path of text drawing (one call per font pixel), so no predicate and no box object.
  const x0 = Math.max(0, x);
  const x1 = Math.min(raster.width, x + width);
  const [r, g, b] = colour;
  const { rgb } = raster;
  for (let row = Math.max(0, y); row < Math.min(raster.height, y + height); row++) {
    for (let i = (row * raster.width + x0) * 3, end = (row * raster.width + x1) * 3; i < end; i += 3) {
      rgb[i] = r;
      rgb[i + 1] = g;
      rgb[i + 2] = b;
    }
  }
}

/** A filled disc: the pixels whose centre lies within `radius` of (cx, cy). */
export function fillCircle(raster: Raster, cx: number, cy: number, radius: number, colour: Rgb): void {
  const box = { x0: cx - radius, y0: cy - radius, x1: cx + radius, y1: cy + radius };
  fillWhere(raster, box, colour, (x, y) => {
    const dx = x + 0.5 - cx;
    const dy = y + 0.5 - cy;
    // Products, not `**`: exponentiation need not be correctly rounded, multiplication is.
    return dx * dx + dy * dy <= radius * radius;
  });
}

/** A filled triangle with corners a, b, c (either winding): pixel centres on the inner side of all three edges. */
export function fillTriangle(
  raster: Raster,
  corners: readonly [readonly [number, number], readonly [number, number], readonly [number, number]],
  colour: Rgb,
): void {
  const [[ax, ay], [bx, by], [cx, cy]] = corners;
  const side = (px: number, py: number, qx: number, qy: number, x: number, y: number): number =>
    (qx - px) * (y - py) - (qy - py) * (x - px);
  const winding = Math.sign(side(ax, ay, bx, by, cx, cy));
  const box = {
    x0: Math.min(ax, bx, cx),
    y0: Math.min(ay, by, cy),
    x1: Math.max(ax, bx, cx),
    y1: Math.max(ay, by, cy),
  };
  fillWhere(raster, box, colour, (x, y) => {
    const px = x + 0.5;
    const py = y + 0.5;
    return (
      side(ax, ay, bx, by, px, py) * winding >= 0 &&
      side(bx, by, cx, cy, px, py) * winding >= 0 &&
      side(cx, cy, ax, ay, px, py) * winding >= 0
    );
  });
}
