/**
 * The datasets the evaluation harness can run on, in one table keyed by id. To add a hub dataset,
 * add an entry: its `dataset`, `config` and `split` as the dataset viewer names them, and the
 * columns that hold the image, the question and the reference answers (a text column or a list of
 * texts). The harness reads the rows through the dataset viewer (hub-dataset.ts), so a dataset
 * needs the viewer enabled on the hub (its page shows a table).
 *
 * The column names below were checked against each dataset's card (`dataset_info.features`) and
 * the lmms-eval tasks that read them; the row counts are the cards' `num_examples`.
 */
import { InvalidRequestError } from '../engine/errors.ts';
import type { MetricId } from './types.ts';

interface EntryBase {
  /** The table's key: what `--dataset` names. */
  id: string;
  /** How reports and the UI name it. */
  label: string;
  metric: MetricId;
}

/** The built-in offline set (src/eval/synthetic/). */
export interface SyntheticDatasetEntry extends EntryBase {
  kind: 'synthetic';
}

/** Which columns of a hub split hold what. */
export interface HubColumns {
  /** An image column (the viewer gives `{ src, height, width }`). */
  image: string;
  question: string;
  /** A text column, or a list of texts (every one is a reference answer). */
  answers: string;
  /**
   * The dataset's own question id, quoted when a row is skipped so a person can find it on the hub.
   * Items are identified by row index, which is what the viewer pages by.
   */
  id?: string;
  /** A text column to break results down by. */
  category?: string;
}

/** A split read through the Hugging Face dataset viewer. */
export interface HubDatasetEntry extends EntryBase {
  kind: 'hub';
  /** `owner/name` on the hub. */
  dataset: string;
  config: string;
  split: string;
  columns: HubColumns;
  /**
   * Text put on a new line after each question. None of the entries below has one: the VisionThink
   * prompt already asks for the answer in `<answer>` tags, and the benchmarks' usual suffix
   * ("Answer the question using a single word or phrase.") would compete with it. A dataset whose
   * answers need a form the question does not ask for (an option letter, say) is where to use it.
   */
  instruction?: string;
}

export type DatasetEntry = SyntheticDatasetEntry | HubDatasetEntry;

/** Every dataset, keyed by id (each entry's `id` is its key). */
export const DATASETS = {
  synthetic: {
    kind: 'synthetic',
    id: 'synthetic',
    label: 'Synthetic (built in, offline)',
    metric: 'exact',
  },
  // 2,500 questions: 1,250 written by people, 1,250 generated (`type`: human_test, augmented_test).
  chartqa: {
    kind: 'hub',
    id: 'chartqa',
    label: 'ChartQA (charts)',
    metric: 'relaxed-accuracy',
    dataset: 'lmms-lab/ChartQA',
    config: 'default',
    split: 'test',
    columns: { image: 'image', question: 'question', answers: 'answer', category: 'type' },
  },
  // 5,349 questions on 1,286 document pages. `question_types` is a list per question (form,
  // table/list, layout, …), so it cannot be a single breakdown label.
  docvqa: {
    kind: 'hub',
    id: 'docvqa',
    label: 'DocVQA (document pages)',
    metric: 'anls',
    dataset: 'lmms-lab/DocVQA',
    config: 'DocVQA',
    split: 'validation',
    columns: { image: 'image', question: 'question', answers: 'answers', id: 'questionId' },
  },
  // 5,000 questions, ten human answers each.
  textvqa: {
    kind: 'hub',
    id: 'textvqa',
    label: 'TextVQA (text in photos)',
    metric: 'vqa-accuracy',
    dataset: 'lmms-lab/textvqa',
    config: 'default',
    split: 'validation',
    columns: { image: 'image', question: 'question', answers: 'answers', id: 'question_id' },
  },
  // 1,000 questions in ten task types (`question_type`: "Regular Text Recognition", …).
  ocrbench: {
    kind: 'hub',
    id: 'ocrbench',
    label: 'OCRBench (reading text)',
    metric: 'substring',
    dataset: 'echo840/OCRBench',
    config: 'default',
    split: 'test',
    columns: { image: 'image', question: 'question', answers: 'answer', category: 'question_type' },
  },
  // 9,000 yes/no questions, 3,000 per sampling (`category`: adversarial, popular, random).
  pope: {
    kind: 'hub',
    id: 'pope',
    label: 'POPE (object hallucination, yes/no)',
    metric: 'pope-f1',
    dataset: 'lmms-lab/POPE',
    config: 'default',
    split: 'test',
    columns: { image: 'image', question: 'question', answers: 'answer', id: 'question_id', category: 'category' },
  },
} satisfies Record<string, DatasetEntry>;

const TABLE: Readonly<Record<string, DatasetEntry>> = DATASETS;

/** The ids of every dataset, in the table's order. */
export function datasetIds(): string[] {
  return Object.keys(TABLE);
}

/** The dataset with this id (any case); throws an error listing the ids when there is none. */
export function findDataset(id: string): DatasetEntry {
  const wanted = id.trim().toLowerCase();
  // Only the table's own keys, so "toString" and the like are not found on the prototype.
  const key = datasetIds().find((candidate) => candidate.toLowerCase() === wanted);
  const entry = key === undefined ? undefined : TABLE[key];
  if (entry !== undefined) return entry;
  throw new InvalidRequestError(
    'invalid-option',
    `There is no dataset "${id}". The datasets are: ${datasetIds().join(', ')}. A new one is an entry in src/eval/datasets.ts.`,
  );
}
