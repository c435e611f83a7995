# Regenerates GOLDEN in clip-tokenizer.test.ts: python3 test/core/clip-tokenizer-oracle.py < texts.json
# Independent oracle: OpenAI CLIP / ImageBind SimpleTokenizer algorithm (python `regex`), minus ftfy.
import gzip, html, json, regex as re, sys
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~")+1))+list(range(ord("¡"), ord("¬")+1))+list(range(ord("®"), ord("ÿ")+1))
    cs = bs[:]; n = 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n += 1
    return dict(zip(bs, [chr(c) for c in cs]))
def get_pairs(w): return set(zip(w[:-1], w[1:]))
merges = gzip.open('test/fixtures/pandagpt-tiny/imagebind/bpe_simple_vocab_16e6.txt.gz').read().decode('utf-8').split('\n')
merges = [tuple(m.split()) for m in merges[1:49152-256-2+1]]
be = bytes_to_unicode(); vocab = list(be.values()); vocab += [v+'</w>' for v in vocab]
vocab += [''.join(m) for m in merges] + ['<|startoftext|>', '<|endoftext|>']
enc = dict(zip(vocab, range(len(vocab)))); ranks = dict(zip(merges, range(len(merges))))
cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}
pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)
def bpe(token):
    if token in cache: return cache[token]
    word = tuple(token[:-1]) + (token[-1]+'</w>',); pairs = get_pairs(word)
    if not pairs: return token+'</w>'
    while True:
        bigram = min(pairs, key=lambda p: ranks.get(p, float('inf')))
        if bigram not in ranks: break
        first, second = bigram; nw = []; i = 0
        while i < len(word):
            try: j = word.index(first, i); nw.extend(word[i:j]); i = j
            except ValueError: nw.extend(word[i:]); break
            if word[i] == first and i < len(word)-1 and word[i+1] == second: nw.append(first+second); i += 2
            else: nw.append(word[i]); i += 1
        word = tuple(nw)
        if len(word) == 1: break
        pairs = get_pairs(word)
    word = ' '.join(word); cache[token] = word; return word
def encode(text):
    text = html.unescape(html.unescape(text)).strip()
    text = re.sub(r'\s+', ' ', text).strip().lower()
    out = []
    for t in re.findall(pat, text):
        t = ''.join(be[b] for b in t.encode('utf-8'))
        out.extend(enc[p] for p in bpe(t).split(' '))
    return out
texts = json.loads(sys.stdin.read())
print(json.dumps([([49406] + encode(t) + [49407])[:77] for t in texts]))
