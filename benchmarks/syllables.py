"""True syllable counts from transcripts, for the speech-rate benchmark.

English (``english_syllables``) is counted by rule, word by word:

1. Numbers are read as English words ("42" = forty-two = 3) from a table of number words;
   ``*`` is "star" and ``#`` "pound" (1 each).
2. Tokens are split at dots, each dot read as "dot" (1): ``www.asterisk.org``.
   ``www``, all-capital tokens of 2-5 letters (``PBX``, ``IVR``) and single letters other
   than "a" and "I" are spelled out: one syllable per letter, three for W.
3. In a word (letters only, apostrophes dropped), each run of vowels ``a e i o u`` counts
   one syllable, and so does ``y`` unless it starts the word before a vowel ("yes") or
   stands before a vowel ("saying": say-ing); "y" runs with the vowels after it.
4. Silent endings take one off, if the word has more than one vowel run: a final ``e``
   after a consonant ("make"), except ``-le`` after a consonant ("table"); ``-es`` except
   after s, x, z, ch, sh, ge, ce or a consonant + l ("boxes", "pages", "tables"); ``-ed``
   except after t or d ("wanted").
5. Vowel pairs spoken as two syllables add one: ``ia``, ``iu``, ``ua``, ``uo``
   ("dial", "premium", "actual"), except ``-tian``/``-cial``-type endings (t, s, c, x, g
   before ``ia`` + n/l); ``io`` except in ``-tion``/``-sion``/``-cious``; ``eo`` except
   "people" and ``geo``-less "-geo-" ("George"); a final ``ea`` ("idea", "area");
   a vowel before ``-ing`` ("going", "being").
6. Every word has at least one syllable.

Checked against the vowel counts of the MFA forced alignments (``tests/accuracy/test_rate_corpus.py``);
the misses are mostly words the speaker reduced ("prob'ly", "diff'rent").

Russian (``russian_syllables``) has one syllable per vowel letter (а е ё и о у ы э ю я).
German EMO-DB counts come from its syllable labels, not from text.
"""

import re

_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                 "eighteen", "nineteen"]
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
_NUMBER_SYLLABLES = {
    "zero": 2, "one": 1, "two": 1, "three": 1, "four": 1, "five": 1, "six": 1, "seven": 2, "eight": 1,
    "nine": 1, "ten": 1, "eleven": 3, "twelve": 1, "thirteen": 2, "fourteen": 2, "fifteen": 2,
    "sixteen": 2, "seventeen": 3, "eighteen": 2, "nineteen": 2, "twenty": 2, "thirty": 2, "forty": 2,
    "fifty": 2, "sixty": 2, "seventy": 3, "eighty": 2, "ninety": 2, "hundred": 2, "thousand": 2,
}
_RUSSIAN_VOWELS = set("аеёиоуыэюяАЕЁИОУЫЭЮЯ")


def number_words(n):
    """English words of a whole number 0..999999, e.g. 42 -> ["forty", "two"]."""
    if n < 20:
        return [_NUMBER_WORDS[n]]
    if n < 100:
        return [_TENS[n // 10]] + (number_words(n % 10) if n % 10 else [])
    if n < 1000:
        return number_words(n // 100) + ["hundred"] + (number_words(n % 100) if n % 100 else [])
    return number_words(n // 1000) + ["thousand"] + (number_words(n % 1000) if n % 1000 else [])


def word_syllables(word):
    """Syllables of one English word by rules 3-6 of the module docstring."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    runs = [(m.start(), m.group()) for m in re.finditer(r"[aeiou]+|y(?![aeiou])[aeiou]*", w)]
    runs = [(i, g) for i, g in runs if not (i == 0 and g[0] == "y" and len(w) > 1 and w[1] in "aeiou")]
    n = len(runs)
    if n == 0:
        return 1
    last_i, last_g = runs[-1]
    if n > 1 and last_g == "e":
        if last_i == len(w) - 1 and not re.search(r"[^aeiouy]le$", w):
            n -= 1
        elif last_i == len(w) - 2 and w.endswith("es") and not re.search(r"(s|x|z|ch|sh|ge|ce|[^aeiouy]l)es$", w):
            n -= 1
        elif last_i == len(w) - 2 and w.endswith("ed") and not re.search(r"[td]ed$", w):
            n -= 1
    for i, g in runs:
        for k in range(len(g) - 1):
            pair, before, after = g[k:k + 2], w[:i + k], w[i + k + 2:]
            if pair in ("ia", "iu", "ua", "uo"):
                if pair == "ia" and re.search(r"[tscxg]$", before) and re.match(r"[nl]", after):
                    continue
                n += 1
            elif pair == "io" and not (re.search(r"[tscxg]$", before) and re.match(r"n|us", after)):
                n += 1
            elif pair == "eo" and w != "people" and not before.endswith("g"):
                n += 1
            elif pair == "ea" and after == "":
                n += 1
    if re.search(r"[aeo]ing$", w):
        n += 1
    return max(n, 1)


def english_syllables(text):
    """Syllables of an English transcript (module docstring, rules 1-6)."""
    total = 0
    for tok in re.findall(r"[A-Za-z][A-Za-z'.]*[A-Za-z]|[A-Za-z]|\d+|[*#]", text):
        if tok.isdigit():
            total += sum(_NUMBER_SYLLABLES[w] for w in number_words(int(tok)))
            continue
        if tok in "*#":
            total += 1
            continue
        for k, part in enumerate(tok.split(".")):
            if k:
                total += 1
            if not part:
                continue
            bare = part.replace("'", "")
            spelled = bare.lower() == "www" or (bare.isupper() and 2 <= len(bare) <= 5) or (
                len(bare) == 1 and bare not in "aAI")
            if spelled:
                total += sum(3 if c == "w" else 1 for c in bare.lower())
            else:
                total += word_syllables(part)
    return total


def russian_syllables(text):
    """Syllables of Russian text: its vowel letters."""
    return sum(ch in _RUSSIAN_VOWELS for ch in text)
