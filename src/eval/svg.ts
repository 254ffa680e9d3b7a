/** The few SVG-writing helpers the plot needs: strings only, so they run in Node and the worker. */

/** Text for XML: the five special characters as entities, characters XML 1.0 forbids dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate to two decimals: a hundredth of a pixel is below what any screen shows. */
export const px = (value: number): string => String(Number(value.toFixed(2)));

/** `name="value"` pairs, escaped. */
export const attrs = (pairs: Record<string, string | number>): string =>
  Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeXml(String(value))}"`)
    .join(' ');

/** A `<text>` element at (x, y) with its content escaped. */
export const svgText = (x: number, y: number, content: string, extra: Record<string, string | number> = {}): string =>
  `<text ${attrs({ x: px(x), y: px(y), ...extra })}>${escapeXml(content)}</text>`;
