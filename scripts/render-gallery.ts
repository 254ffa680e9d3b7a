/**
 * `npm run gallery`: renders the app's gallery of sample images into public/samples/ (PNGs and
 * `index.json`, an array of {@link GalleryEntry}). `--if-missing` renders only when index.json is
 * missing, differs from this script's list, or names a file that is missing (before the dev
 * server, the build and the e2e tests). `--out DIR` writes elsewhere.
 *
 * Besides a few of the test model's samples it draws a bar chart and a page of small text, with
 * sharp (librsvg for SVG, Pango for wrapped paragraphs, fonts through fontconfig: DejaVu, from
 * Debian's fonts-dejavu-core). The output is the same on every run on the same fonts and sharp.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { renderSample, type SampleKind } from './samples/test-images.ts';
import { formatBytes } from '../src/engine/file-sizes.ts';

/** One gallery image, as listed in `public/samples/index.json`. */
export interface GalleryEntry {
  id: string;
  /** File name, relative to index.json's folder (the app serves it at `/samples/<file>`). */
  file: string;
  label: string;
  /** Suggested questions. */
  questions: string[];
}

const COLOUR_QUESTIONS = ['What colour is this image?', 'Which colour covers most of the picture?'];

const TEST_MODEL_SAMPLES: { kind: SampleKind; colour: string; width: number; height: number }[] = [
  { kind: 'plain', colour: 'blue', width: 896, height: 672 },
  { kind: 'detailed', colour: 'green', width: 896, height: 672 },
  { kind: 'plain', colour: 'red', width: 448, height: 336 },
  { kind: 'detailed', colour: 'yellow', width: 672, height: 896 },
];

const PNG_OPTIONS = { compressionLevel: 9, adaptiveFiltering: true } as const;

function testModelEntry(sample: (typeof TEST_MODEL_SAMPLES)[number]): GalleryEntry {
  const { kind, colour, width, height } = sample;
  const what = kind === 'plain' ? 'plain' : 'with small print';
  return {
    id: `${kind}-${colour}-${width}x${height}`,
    file: `${kind}-${colour}-${width}x${height}.png`,
    label: `${colour[0]?.toUpperCase() ?? ''}${colour.slice(1)}, ${what} (${width} × ${height})`,
    questions: COLOUR_QUESTIONS,
  };
}

async function renderTestModelSample(sample: (typeof TEST_MODEL_SAMPLES)[number]): Promise<Buffer> {
  const image = renderSample(sample.kind, sample.colour, sample.width, sample.height);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png(PNG_OPTIONS)
    .toBuffer();
}

// ---- The bar chart -------------------------------------------------------------------------

const CHART_ENTRY: GalleryEntry = {
  id: 'chart-library-visits',
  file: 'chart-library-visits.png',
  label: 'Bar chart with small labels (896 × 672)',
  questions: [
    'Which month had the most visitors?',
    'How many visitors came in March?',
    'What is the lowest value on the chart?',
  ],
};

/** Visitors per month, in thousands (made up, fixed). */
const VISITS: readonly [string, number][] = [
  ['Jan', 12.4],
  ['Feb', 13.1],
  ['Mar', 17.8],
  ['Apr', 16.2],
  ['May', 14.9],
  ['Jun', 11.3],
  ['Jul', 9.6],
  ['Aug', 10.2],
  ['Sep', 15.7],
  ['Oct', 18.5],
  ['Nov', 19.3],
  ['Dec', 14.0],
];

function chartSvg(width: number, height: number): string {
  const left = 74;
  const right = 24;
  const top = 86;
  const bottom = 78;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const yMax = 20;
  const y = (value: number): number => top + plotHeight * (1 - value / yMax);
  const slot = plotWidth / VISITS.length;
  const barWidth = slot * 0.62;
  const parts: string[] = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="38" font-family="DejaVu Sans" font-weight="bold" font-size="18" fill="#1b1f24">Visitors to the Harbour Street library, 2025</text>`,
    `<text x="${left}" y="60" font-family="DejaVu Sans" font-size="11" fill="#57606a">Monthly visits in thousands; the reading room was closed for repairs from mid-June to August.</text>`,
  ];
  for (let tick = 0; tick <= yMax; tick += 2.5) {
    const ty = y(tick).toFixed(1);
    parts.push(
      `<line x1="${left}" y1="${ty}" x2="${width - right}" y2="${ty}" stroke="${tick === 0 ? '#1b1f24' : '#d0d7de'}" stroke-width="1"/>`,
      `<text x="${left - 8}" y="${ty}" dy="3.5" text-anchor="end" font-family="DejaVu Sans" font-size="10" fill="#424a53">${tick.toFixed(1)}</text>`,
    );
  }
  VISITS.forEach(([month, value], index) => {
    const cx = left + slot * (index + 0.5);
    const barTop = y(value);
    parts.push(
      `<rect x="${(cx - barWidth / 2).toFixed(1)}" y="${barTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y(0) - barTop).toFixed(1)}" fill="${value === Math.max(...VISITS.map((v) => v[1])) ? '#cf4a1f' : '#2f6fb3'}"/>`,
      `<text x="${cx.toFixed(1)}" y="${(barTop - 5).toFixed(1)}" text-anchor="middle" font-family="DejaVu Sans" font-size="9" fill="#1b1f24">${value.toFixed(1)}</text>`,
      `<text x="${cx.toFixed(1)}" y="${(y(0) + 15).toFixed(1)}" text-anchor="middle" font-family="DejaVu Sans" font-size="10" fill="#424a53">${month}</text>`,
    );
  });
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 36}" text-anchor="middle" font-family="DejaVu Sans" font-size="11" fill="#424a53">Month</text>`,
    `<text transform="translate(22 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-family="DejaVu Sans" font-size="11" fill="#424a53">Visits (thousands)</text>`,
    `<text x="${width - right}" y="${height - 14}" text-anchor="end" font-family="DejaVu Sans" font-size="8" fill="#6e7781">Source: front-desk counter, rounded to the nearest hundred. Total for the year: 172.0 thousand.</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

async function renderChart(): Promise<Buffer> {
  return sharp(Buffer.from(chartSvg(896, 672)))
    .flatten({ background: '#ffffff' })
    .png(PNG_OPTIONS)
    .toBuffer();
}

// ---- The page of small text ----------------------------------------------------------------

const TEXT_ENTRY: GalleryEntry = {
  id: 'page-lighthouse-keepers',
  file: 'page-lighthouse-keepers.png',
  label: 'A page of small text (784 × 896)',
  questions: [
    'What is this page about?',
    'In which year was the last keeper withdrawn?',
    'How often was the lamp wick trimmed?',
  ],
};

const PAGE_TITLE = 'The Last Keepers of Skerry Point';
const PAGE_PARAGRAPHS = [
  'For almost a century the light at Skerry Point was kept by hand. Three keepers lived on the rock at any time, working four-hour watches through the night, and a relief boat brought a fourth man and the week’s stores every Thursday when the sea allowed. In the winter of 1962 the boat could not land for nineteen days, and the keepers rationed paraffin by lighting the lamp an hour later than the almanac advised.',
  'The work was less romantic than the postcards suggest. The lens, a first-order Fresnel assembly weighing a little over four tonnes, floated on a bath of mercury and was turned by a clockwork drive that had to be wound every forty minutes. The wick was trimmed at midnight and again at four, the brass was polished each morning, and every hour the keeper on watch wrote the wind, the visibility and the state of the sea into a log that still survives in the county archive.',
  'Electrification came in 1978, when a cable was laid from the mainland and the paraffin burner was replaced by a 1,000-watt lamp. The clockwork stayed for another decade. Automation followed in 1991: a light sensor now switches the beacon on at dusk, a diesel generator stands by for failures, and a technician visits twice a year. The last keeper, Alasdair Munro, was withdrawn on 30 March 1991 after twenty-six years on the station.',
  'The station itself changed less than its routine. The tower, built of granite dressed on the mainland and shipped out in numbered blocks, is 38 metres tall and tapers from a base of 9.4 metres to 5.2 metres below the gallery. Its 151 steps were worn into shallow dishes by the keepers’ boots, and in 1996 the lowest forty were replaced with cast-iron treads salvaged from a demolished mill. The keepers’ cottages at the foot of the tower were let to the bird observatory in 1993 and now sleep six volunteers from April to October.',
  'Not every change was welcome. Fishermen who had steered by the old light complained for years that the new lamp was harsher and the flash shorter; the character of the light had in fact been kept at one white flash every fifteen seconds, but the clockwork had always run a little slow, so the old flashes had lasted nearly a second longer. A petition signed by 214 skippers in 1980 asked for the old lamp back. The authority replied that the new one could be seen 26 nautical miles out in clear weather, four more than before, and the matter was closed.',
  'Munro’s notebooks, donated by his daughter in 2009, record more than weather. Between the columns of readings are lists of birds seen from the gallery, the names of trawlers that passed close in fog, and a running tally of games of cribbage, which by his own count he lost 2,214 times to his colleague Ewan Baird. The archive has transcribed the first eleven volumes; the remaining four are expected to be online by the end of next year.',
  'Visitors can reach the point on foot at low water by a causeway marked with white posts, but the tide returns faster than most expect: the crossing is safe for about two hours either side of low water, and the tide tables at the car park should be read before setting out. The tower is open on the first Sunday of each month from May to September, when volunteers from the observatory climb with small groups to the lantern room and show the lens, still in place, though it has not turned since 1991.',
];

const escapeMarkup = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function renderTextPage(): Promise<Buffer> {
  const width = 784;
  const height = 896;
  const margin = 64;
  const page = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" fill="#fbfaf7"/>
    <text x="${margin}" y="${margin + 8}" font-family="DejaVu Serif" font-weight="bold" font-size="20" fill="#1a1a1a">${escapeMarkup(PAGE_TITLE)}</text>
    <text x="${margin}" y="${margin + 30}" font-family="DejaVu Sans" font-size="10" fill="#5a5a5a">From the county archive’s notes on coastal stations · Chapter 4</text>
    <line x1="${margin}" y1="${margin + 42}" x2="${width - margin}" y2="${margin + 42}" stroke="#b0aca4" stroke-width="1"/>
    <text x="${width / 2}" y="${height - 36}" text-anchor="middle" font-family="DejaVu Serif" font-size="10" fill="#5a5a5a">— 47 —</text>
  </svg>`;
  const body = await sharp({
    text: {
      text: `<span foreground="#1a1a1a">${PAGE_PARAGRAPHS.map(escapeMarkup).join('\n\n')}</span>`,
      font: 'DejaVu Serif 10.5',
      width: width - 2 * margin,
      dpi: 72,
      rgba: true,
      justify: true,
      wrap: 'word',
      spacing: 4,
    },
  })
    .png()
    .toBuffer();
  return sharp(Buffer.from(page))
    .composite([{ input: body, left: margin, top: margin + 62 }])
    .flatten({ background: '#fbfaf7' })
    .png(PNG_OPTIONS)
    .toBuffer();
}

// ---- Writing -------------------------------------------------------------------------------

/** Every gallery image and how to draw it, in gallery order. */
function galleryPlan(): { entry: GalleryEntry; render: () => Promise<Buffer> }[] {
  return [
    ...TEST_MODEL_SAMPLES.map((sample) => ({
      entry: testModelEntry(sample),
      render: () => renderTestModelSample(sample),
    })),
    { entry: CHART_ENTRY, render: renderChart },
    { entry: TEXT_ENTRY, render: renderTextPage },
  ];
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function isUpToDate(dir: string, index: string): Promise<boolean> {
  const current = await readFile(join(dir, 'index.json'), 'utf8').catch(() => undefined);
  if (current !== index) return false;
  const entries = JSON.parse(index) as GalleryEntry[];
  const present = await Promise.all(entries.map((entry) => exists(join(dir, entry.file))));
  return present.every(Boolean);
}

const { values } = parseArgs({
  options: { out: { type: 'string' }, 'if-missing': { type: 'boolean', default: false } },
});
const dir = values.out ?? fileURLToPath(new URL('../public/samples/', import.meta.url));
const plan = galleryPlan();
const index = `${JSON.stringify(
  plan.map((item) => item.entry),
  null,
  2,
)}\n`;
if (!(values['if-missing'] && (await isUpToDate(dir, index)))) {
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  for (const { entry, render } of plan) {
    const png = await render();
    bytes += png.length;
    await writeFile(join(dir, entry.file), png);
  }
  // index.json last: a run cut short leaves no index, so the next --if-missing renders again.
  await writeFile(join(dir, 'index.json'), index);
  console.error(`Wrote ${plan.length} gallery images (${formatBytes(bytes)}) to ${dir}`);
}
