// bot/rules: a rule-based reply bot, deterministic for the same input, history,
// state and clock. It greets, answers how long the call has lasted (from
// baton:clock, the kernel clock), remembers the caller's name across turns in
// baton:state, and otherwise echoes what it heard.
// config: bot_name (default "Baton").
import { now } from 'baton:clock';
import { get, put } from 'baton:state';
import { MAX_REPLY_CHARS, capitalize, clip, normalize, squash } from 'defaults/text';

export const DEFAULT_BOT_NAME = 'Baton';

const NAME_KEY = 'caller_name';

/** "my name is ada", "i'm ada", "call me ada": the name, or undefined. */
export function nameIn(text) {
  const match = /(?:^|\b)(?:my name is|my name's|i am|i'm|call me)\s+([\p{L}][\p{L}'-]{0,39})/iu.exec(squash(text));
  if (!match) return undefined;
  const name = match[1];
  const notNames = ['fine', 'good', 'great', 'ok', 'okay', 'here', 'sorry', 'not', 'just', 'so', 'very', 'back', 'done', 'looking', 'calling', 'trying'];
  return notNames.includes(name.toLowerCase()) ? undefined : capitalize(name.toLowerCase());
}

/** "3 minutes and 4 seconds" from milliseconds. */
export function spokenDuration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const unit = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (minutes === 0) return unit(rest, 'second');
  return rest === 0 ? unit(minutes, 'minute') : `${unit(minutes, 'minute')} and ${unit(rest, 'second')}`;
}

function isGreeting(words) {
  return /^(?:hi|hello|hey|good (?:morning|afternoon|evening)|greetings)\b/.test(words);
}

function asksTime(words) {
  return /\b(?:how long|what time|time is it|the time)\b/.test(words);
}

function asksName(words) {
  return /\b(?:what is my name|what's my name|who am i|do you know my name)\b/.test(words);
}

/** The reply to one user turn; `known` is the caller's name from earlier turns, if any. */
export function reply(text, known, botName, elapsedMs) {
  const words = normalize(text);
  const told = nameIn(text);
  const name = told ?? known;
  if (words.length === 0) return 'Sorry, I did not catch that.';
  if (told) return `Nice to meet you, ${told}. I am ${botName}.`;
  if (asksName(words)) return name ? `Your name is ${name}.` : 'You have not told me your name yet.';
  if (asksTime(words)) return `We have been talking for ${spokenDuration(elapsedMs)}.`;
  if (isGreeting(words)) return name ? `Hello again, ${name}!` : `Hello! I am ${botName}. What is your name?`;
  if (/\b(?:bye|goodbye|see you)\b/.test(words)) return name ? `Goodbye, ${name}.` : 'Goodbye.';
  if (/\b(?:thanks|thank you)\b/.test(words)) return 'You are welcome.';
  return clip(`You said: ${squash(text)}`, MAX_REPLY_CHARS);
}

export default function handle(input, ctx) {
  const known = get(NAME_KEY);
  const botName = (ctx.config && ctx.config.bot_name) || DEFAULT_BOT_NAME;
  const told = nameIn(input.text);
  if (told) put(NAME_KEY, told);
  return reply(input.text, typeof known === 'string' ? known : undefined, botName, now());
}
