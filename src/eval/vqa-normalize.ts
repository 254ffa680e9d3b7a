/**
 * The answer normalisation of the official VQA evaluation (`vqaEval.py` of the VQA challenge, which
 * TextVQA and VQAv2 are scored with), so that "Two dogs." and "2 dogs" count as one answer exactly
 * where the benchmark counts them so. lmms-eval's EvalAI processor runs the same two steps after one
 * of its own (commas and "?" deleted, "'s" split off), which is not done here.
 */

/** Marks the official `processPunctuation` removes or turns into a space; "." and "'" are not among them. */
const PUNCTUATION = Array.from(';/[]"{}()=+\\_-><@`,?!');

/** A comma between digits ("1,000"): when the text has one, every mark is removed rather than spaced. */
const DIGIT_COMMA_DIGIT = /\d,\d/;

/**
 * The official pattern is `(?!<=\d)(\.)(?!\d)`: its first group was meant as a look-behind but is a
 * look-ahead for the literal "<=", which never holds before a ".". So a full stop goes unless a digit
 * follows it ("3.5" keeps its point, "1.", "etc." and "u.s." lose theirs); the same here, on purpose.
 */
const PERIOD_NOT_BEFORE_DIGIT = /\.(?!\d)/g;

const NUMBER_WORDS: ReadonlyMap<string, string> = new Map([
  ['none', '0'],
  ['zero', '0'],
  ['one', '1'],
  ['two', '2'],
  ['three', '3'],
  ['four', '4'],
  ['five', '5'],
  ['six', '6'],
  ['seven', '7'],
  ['eight', '8'],
  ['nine', '9'],
  ['ten', '10'],
]);

const ARTICLES: ReadonlySet<string> = new Set(['a', 'an', 'the']);

/**
 * The contractions the official table restores. Its keys are these forms with one apostrophe left out
 * ("dont" → "don't"; "couldnt've" and "couldn'tve" → "couldn't've", but not "couldntve"), which is
 * how the table below is built. The official table's keys with a capital ("Im", "Ive", "Id've",
 * "I'dve") never match its lower-cased words, and "let's", "she's" map to themselves: all left out,
 * as they change nothing. Words that are also ordinary words ("shed", "well", "its") are not keys.
 */
const CONTRACTED_FORMS = `
  ain't aren't can't could've couldn't couldn't've didn't doesn't don't hadn't hadn't've hasn't haven't
  he'd he'd've he's how'd how'll how's isn't it'd it'd've it'll ma'am mightn't mightn't've might've
  mustn't must've needn't not've o'clock oughtn't 'ow's'at shan't she'd've should've shouldn't
  shouldn't've somebody'd've somebody'll somebody's someone'd someone'd've someone'll someone's
  something'd something'd've something'll that's there'd there'd've there're there's they'd they'd've
  they'll they're they've 'twas wasn't we'd've we've weren't what'll what're what's what've when's
  where'd where's where've who'd who'd've who'll who's who've why'll why're why's won't would've
  wouldn't wouldn't've y'all y'all'll y'all'd've you'd you'd've you'll you're you've
`
  .trim()
  .split(/\s+/);

/** Each way of writing `form` with exactly one of its apostrophes left out. */
function withOneApostropheDropped(form: string): string[] {
  const keys: string[] = [];
  for (let at = form.indexOf("'"); at !== -1; at = form.indexOf("'", at + 1)) {
    keys.push(form.slice(0, at) + form.slice(at + 1));
  }
  return keys;
}

const CONTRACTIONS: ReadonlyMap<string, string> = new Map([
  ...CONTRACTED_FORMS.flatMap((form) => withOneApostropheDropped(form).map((key): [string, string] => [key, form])),
  // The official table has this one backwards; kept, because the benchmark's figures include it.
  ["somebody'd", 'somebodyd'],
]);

/** The official `processPunctuation`: each mark is removed where it touches a space, else spaced out. */
function processPunctuation(text: string): string {
  // The official test looks at the text as it came in, not as earlier marks have left it.
  const removeAll = DIGIT_COMMA_DIGIT.test(text);
  let out = text;
  for (const mark of PUNCTUATION) {
    const removed = removeAll || text.includes(`${mark} `) || text.includes(` ${mark}`);
    out = out.replaceAll(mark, removed ? '' : ' ');
  }
  return out.replace(PERIOD_NOT_BEFORE_DIGIT, '');
}

/** The official `processDigitArticle`: number words to digits, articles dropped, contractions restored. */
function processDigitArticle(text: string): string {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => NUMBER_WORDS.get(word) ?? word)
    .filter((word) => !ARTICLES.has(word))
    .map((word) => CONTRACTIONS.get(word) ?? word)
    .join(' ');
}

/**
 * An answer as the VQA evaluation compares it: lower-cased, newlines and tabs made spaces, trimmed,
 * then the official punctuation and digit/article steps ("The two dogs!" → "2 dogs", "1,000" →
 * "1000", "dont" → "don't").
 *
 * The official script lower-cases only in its second step (its annotations are lower-case already);
 * doing it first changes nothing else, as the punctuation step does not look at letters. Unlike the
 * official script, which normalises the human answers only when they disagree and then only their
 * punctuation, both sides get the whole normalisation here, as lmms-eval does, because our references
 * come from hub datasets as the annotators typed them.
 */
export function normalizeVqaAnswer(answer: string): string {
  return processDigitArticle(
    processPunctuation(
      answer
        .toLowerCase()
        .replace(/[\n\t]/g, ' ')
        .trim(),
    ),
  );
}

/** The contraction table, for tests that hold it to the official one. */
export const VQA_CONTRACTIONS: ReadonlyMap<string, string> = CONTRACTIONS;
