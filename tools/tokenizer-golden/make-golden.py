#!/usr/bin/python3
"""Golden LLaMA tokenizer outputs from the reference implementation (Python sentencepiece).

Run with Debian's interpreter, which has python3-sentencepiece:
    /usr/bin/python3 tools/tokenizer-golden/make-golden.py
Writes test/fixtures/tokenizer-golden.json: for every corpus string, sp.encode(s) (which is
PandaGPT's tokenizer call: dummy prefix, no BOS/EOS) and sp.decode(ids). The corpus is generated
deterministically (fixed seed, no external data), so re-running reproduces the file byte for byte.
"""
import json
import os
import random
import sys

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODEL = os.path.join(ROOT, 'test', 'fixtures', 'pandagpt-tiny', 'vicuna', 'tokenizer.model')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'tokenizer-golden.json')
SEED = 20260528
TARGET = 2400

FIXED = [
    '', ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n ', '\t \t', '        ', ' ' * 17, '\n' * 5,
    '###', '##', '#', '### ', ' ###', '## Heading', '\n###', '\n##', 'a\n### b',
    '### Human: <Img>', '</Img> ', '</Img>', '<Img>', '### Human:', '### Assistant:', '\n### Assistant:',
    '</Img> Describe this image.\n### Assistant:', '</Img> Describe this.\n### Assistant:',
    '</Img> What is in the picture?\n### Assistant: A dog.\n### Human: What color is it?\n### Assistant:',
    ' Human: What color is it?', 'Hello, my name is', 'Describe this.',
    '<s>', '</s>', '<unk>', '[PAD]', '<s> hi </s>', 'a</s>b', '<0x0A>', '<0xE4><0xBD><0xA0>', '\u2581', '\u2581\u2581a',
    'ab\u2581cd', '\u00a0', 'a\u00a0b', '\u200b', '\ufeffBOM', '\u3000full width space', 'tab\there',
    "don't", "I'm", "it's", "we've", "they're", "He said ' hi ' .", 'What ?', 'Wow !', 'a , b . c',
    '0', '1', '12', '123', '1234567890', '3.14159', '-42', '1e-6', '2,048 tokens', '10%', '$19.99', '٣٤٥',
    'https://github.com/yxuansu/PandaGPT', 'http://example.com/a?b=c&d=e#f', 'user@example.org',
    'def f(x):\n    return x ** 2\n', 'for (let i = 0; i < n; i++) { sum += a[i]; }', '#include <stdio.h>',
    'SELECT * FROM t WHERE id = 1;', '{"key": [1, 2, {"a": null}]}', '<div class="x">hi</div>', 'a_b-c.d/e\\f',
    'Supercalifragilisticexpialidocious', 'pneumonoultramicroscopicsilicovolcanoconiosis' * 3, 'a' * 300,
    'ab' * 150, 'x' * 1000, 'HELLO WORLD', 'hElLo WoRlD', 'CamelCaseIdentifierName', 'snake_case_name',
    '你好', '你好，世界！', '日本語のテキストです。', '한국어 문장입니다.', 'Привет, мир!', 'Γειά σου Κόσμε',
    'مرحبا بالعالم', 'שלום עולם', 'नमस्ते दुनिया', 'สวัสดีชาวโลก', 'Tiếng Việt có dấu', 'Ελληνικά',
    '😀', '😀😃😄', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷🇯🇵', '❤️', '🐼 PandaGPT', 'e\u0301', 'n\u0303o', 'Å', 'ﬁ', '℃', '∑∫√∞',
    'toString', 'valueOf', 'constructor', '__proto__', 'hasOwnProperty', 'x.toString() + y.valueOf()',
    'new this.constructor()', 'obj.__proto__ = null', 'prototype', 'isPrototypeOf',
    '\x00', '\x01\x02', '\x7f', 'a\x1bb', '\U00020000', '\U0002a6d6 rare', '\ue000', '\U0010fffd', '𝕳𝖊𝖑𝖑𝖔',
]

FRAGMENTS = [
    'the', 'The', 'dog', 'cat', 'is', 'in', 'picture', 'image', 'audio', 'video', 'thermal', 'PandaGPT', 'ImageBind',
    'Vicuna', 'LLaMA', 'tokenizer', 'hello', 'world', 'What', 'color', 'Describe', 'this', '.', ',', '?', '!', ':', ';',
    "'", '"', '(', ')', '[', ']', '{', '}', '<', '>', '</', '/>', '#', '##', '###', '####', '*', '**', '-', '--', '_',
    '=', '==', '+', '%', '&', '|', '\\', '/', '~', '`', '```', '@', '$', '^', '0', '7', '42', '2023', '3.5', '1,000',
    'Human', 'Assistant', '<Img>', '</Img>', 'https://', 'www.', '.com', 'n\'t', "'s", 'ing', 'tion', 'un', 're',
    '你', '好', '世界', '中文', '日本', 'の', 'テスト', '한', '국', 'д', 'Привет', 'مرحبا', 'ש', 'न', 'ไทย', 'é', 'ü', 'ß',
    'ñ', 'ç', 'Ω', 'π', '∀', '→', '€', '£', '¥', '©', '®', '™', '…', '—', '–', '«', '»', '“', '”', '‘', '’',
    '😀', '🐶', '🎉', '🚀', '👍', '🇺🇸', '\u200d', '\u0301', '\U00020000', '\U0002b820', '\ue001', '\u2581',
    '<s>', '</s>', '[PAD]', '<unk>', '<0x0A>', 'toString', 'valueOf', 'constructor', '__proto__',
]
SEPARATORS = ['', '', ' ', ' ', ' ', '  ', '   ', '\t', '\n', '\n\n', ' \n', '\n ', '\t ', '\r\n', '\u00a0', '    ']
BLOCKS = [  # (first, last) code points of scripts/symbol blocks, many outside the vocab (byte fallback)
    (0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x5ff), (0x600, 0x6ff), (0x900, 0x97f),
    (0xe00, 0xe7f), (0x1100, 0x11ff), (0x2000, 0x206f), (0x2190, 0x22ff), (0x2500, 0x257f), (0x3040, 0x30ff),
    (0x4e00, 0x9fff), (0xac00, 0xd7a3), (0xe000, 0xe0ff), (0xff00, 0xffef), (0x1d400, 0x1d7ff), (0x1f300, 0x1f6ff),
    (0x1f900, 0x1f9ff), (0x20000, 0x2a6df),
]


def random_block_text(rng):
    out = []
    for _ in range(rng.randint(1, 24)):
        lo, hi = rng.choice(BLOCKS)
        out.append(chr(rng.randint(lo, hi)))
        if rng.random() < 0.2:
            out.append(rng.choice(SEPARATORS))
    return ''.join(out)


def random_fragment_text(rng):
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 14))]
    return ''.join(p + rng.choice(SEPARATORS) for p in parts)


def random_piece_text(rng, pieces):
    """Concatenated vocab pieces: stresses the BPE merge order on real subwords."""
    return ''.join(rng.choice(pieces) for _ in range(rng.randint(1, 12))).replace('\u2581', ' ')


def random_whitespace(rng):
    return ''.join(rng.choice([' ', ' ', '\t', '\n', '\u2581', 'a', '.', '#']) for _ in range(rng.randint(1, 40)))


def random_word_case(rng):
    word = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(1, 60)))
    return ''.join(c.upper() if rng.random() < 0.3 else c for c in word)


def random_chat(rng):
    q = random_fragment_text(rng).strip()
    a = random_fragment_text(rng).strip()
    return rng.choice([
        f'</Img> {q}\n### Assistant:',
        f'{q}\n### Assistant: {a}\n###',
        f' Human: {q}\n### Assistant: {a}\n###',
        f'### Human: {q}\n### Assistant:',
    ])


def main():
    sp = spm.SentencePieceProcessor(model_file=MODEL)
    rng = random.Random(SEED)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())
              if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i))]
    makers = [random_block_text, random_fragment_text, lambda r: random_piece_text(r, pieces),
              random_whitespace, random_word_case, random_chat]
    corpus = list(FIXED)
    seen = set(corpus)
    while len(corpus) < TARGET:
        s = rng.choice(makers)(rng)
        if rng.random() < 0.15:
            s = rng.choice(SEPARATORS) + s
        if rng.random() < 0.15:
            s = s + rng.choice(SEPARATORS)
        if s not in seen:
            seen.add(s)
            corpus.append(s)
    cases = []
    for s in corpus:
        ids = sp.encode(s)
        cases.append({'text': s, 'ids': ids, 'decoded': sp.decode(ids)})
    doc = {
        'generator': 'tools/tokenizer-golden/make-golden.py',
        'oracle': f'python sentencepiece {spm.__version__}: encode(text) (no BOS/EOS), decode(ids)',
        'model': 'test/fixtures/pandagpt-tiny/vicuna/tokenizer.model',
        'seed': SEED,
        'cases': cases,
    }
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(doc, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {len(cases)} cases, {os.path.getsize(OUT)} bytes to {OUT}', file=sys.stderr)


if __name__ == '__main__':
    main()
