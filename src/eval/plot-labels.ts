/**
 * Where the plot's point labels go. Policies often sit close together and the sweep's line runs
 * between them, so each label tries a few spots around its point and takes the one that covers
 * the fewest other labels, lines and markers.
 */

/** A label to place beside a marker of radius `r` at (x, y). */
export interface LabelRequest {
  x: number;
  y: number;
  r: number;
  content: string;
}

/** A placed label: its text's anchor point and alignment. */
export interface PlacedLabel {
  x: number;
  y: number;
  anchor: 'start' | 'end';
  content: string;
}

/** What labels should not cover. */
export interface LabelObstacles {
  segments: [number, number, number, number][];
  discs: { x: number; y: number; r: number }[];
  area: { left: number; right: number; top: number; bottom: number };
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Sans-serif digits and lower case average a little over half the font size in width. */
const CHAR_WIDTH = 0.58;

function boxOf(label: PlacedLabel, fontSize: number): Box {
  const width = label.content.length * fontSize * CHAR_WIDTH;
  const [x0, x1] = label.anchor === 'start' ? [label.x, label.x + width] : [label.x - width, label.x];
  return { x0, x1, y0: label.y - fontSize * 0.8, y1: label.y + fontSize * 0.25 };
}

const overlaps = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** Whether a segment crosses a box; sampled every pixel, which is plenty at plot sizes. */
function crosses([x1, y1, x2, y2]: [number, number, number, number], box: Box): boolean {
  const steps = Math.max(1, Math.ceil(Math.hypot(x2 - x1, y2 - y1)));
  for (let i = 0; i <= steps; i++) {
    const x = x1 + ((x2 - x1) * i) / steps;
    const y = y1 + ((y2 - y1) * i) / steps;
    if (x > box.x0 && x < box.x1 && y > box.y0 && y < box.y1) return true;
  }
  return false;
}

/** Places labels in the order given (earlier ones keep the better spots). */
export function placeLabels(requests: LabelRequest[], obstacles: LabelObstacles, fontSize: number): PlacedLabel[] {
  const placed: PlacedLabel[] = [];
  const { area } = obstacles;
  for (const { x, y, r, content } of requests) {
    const gap = r + 4;
    const above = y - gap + fontSize * 0.2;
    const below = y + gap + fontSize * 0.8;
    const candidates: PlacedLabel[] = [
      { x: x + gap, y: above, anchor: 'start', content },
      { x: x + gap, y: below, anchor: 'start', content },
      { x: x - gap, y: above, anchor: 'end', content },
      { x: x - gap, y: below, anchor: 'end', content },
      { x: x + gap, y: y + fontSize * 0.35, anchor: 'start', content },
      { x: x - gap, y: y + fontSize * 0.35, anchor: 'end', content },
      { x: x + gap, y: above - fontSize * 1.2, anchor: 'start', content },
      { x: x + gap, y: below + fontSize * 1.2, anchor: 'start', content },
    ];
    const cost = (label: PlacedLabel): number => {
      const box = boxOf(label, fontSize);
      const outside = box.x0 < area.left || box.x1 > area.right || box.y0 < area.top || box.y1 > area.bottom;
      const labels = placed.filter((p) => overlaps(box, boxOf(p, fontSize))).length;
      const lines = obstacles.segments.filter((s) => crosses(s, box)).length;
      const discs = obstacles.discs.filter((d) =>
        overlaps(box, { x0: d.x - d.r, x1: d.x + d.r, y0: d.y - d.r, y1: d.y + d.r }),
      ).length;
      return (outside ? 100 : 0) + labels * 20 + discs * 5 + lines;
    };
    // The first candidate of least cost: ties keep the conventional above-right spot.
    const best = candidates.reduce((a, b) => (cost(b) < cost(a) ? b : a));
    placed.push(best);
  }
  return placed;
}
