/**
 * Text normalisation safe for any Unicode. A JSON body can carry lone surrogates (`"\ud800"`),
 * which are not Unicode text: native tokenizers (Rust, Java) reject or mangle them, and a
 * surrogate cut off at a chunk boundary is a common client bug. They become U+FFFD, the
 * replacement character, as `String.prototype.toWellFormed` does (ES2024; the project's type lib
 * is ES2023). Everything else passes through untouched: NUL, RTL and other format marks, emoji,
 * any script, any length; the model's own tokenizer decides what they mean.
 */

/** With the `u` flag, only unpaired surrogates are code points of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;
const REPLACEMENT_CHARACTER = '\uFFFD';

/** `text` with every lone surrogate replaced by U+FFFD (the same string when there is none). */
export function toWellFormedText(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, REPLACEMENT_CHARACTER) : text;
}
