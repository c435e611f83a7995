/**
 * transformers' `clean_up_tokenization` (PreTrainedTokenizerBase, 4.29): removes the space before
 * punctuation and English contractions. Order matters (each rule is a global replace on the
 * result of the previous one), so it is kept exactly as in transformers.
 */
export function cleanUpTokenizationSpaces(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
