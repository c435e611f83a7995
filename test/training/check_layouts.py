"""Checks that training/out/ has exactly the fixture's checkpoint formats: same file set, same key
patterns (block/layer indices normalised), dtypes, tensor vs Parameter types, zip serialisation.
Run: /usr/bin/python3 test/training/check_layouts.py"""
import json
import os
import re
import sys
import zipfile

import torch

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
FX = os.path.join(ROOT, 'test', 'fixtures', 'pandagpt-tiny')
OUT = os.path.join(ROOT, 'training', 'out')
fails = []


def norm(k):
    return re.sub(r'\.(blocks|layers)\.\d+\.', r'.\1.N.', k)


def sig(sd):
    out = {}
    for k, v in sd.items():
        out.setdefault(norm(k), (type(v).__name__, str(v.dtype), v.ndim))
    return out


def order(sd):
    seen = []
    for k in sd:
        n = norm(k)
        if n not in seen:
            seen.append(n)
    return seen


def compare(name, a_path, b_path):
    for p in (a_path, b_path):
        if not zipfile.is_zipfile(p):
            fails.append(f'{name}: {p} is not a torch zip archive')
    a = torch.load(a_path, map_location='cpu')
    b = torch.load(b_path, map_location='cpu')
    if type(a) is not type(b):
        fails.append(f'{name}: container {type(a).__name__} != {type(b).__name__}')
    sa, sb = sig(a), sig(b)
    if sa != sb:
        fails.append(f'{name}: key signature differs: {set(sa.items()) ^ set(sb.items())}')
    if order(a) != order(b):
        fails.append(f'{name}: key order differs')
    print(f'{name}: {len(a)} tensors, {len(sa)} key patterns', 'ok' if sa == sb else 'DIFF')
    return a


ib = compare('imagebind.pth', os.path.join(OUT, 'imagebind', 'imagebind.pth'), os.path.join(FX, 'imagebind', 'imagebind.pth'))
dl = compare('pandagpt delta', os.path.join(OUT, 'pandagpt', 'pytorch_model.pt'), os.path.join(FX, 'pandagpt', 'pytorch_model.pt'))
compare('pandagpt-zeroshot delta', os.path.join(OUT, 'pandagpt-zeroshot', 'pytorch_model.pt'), os.path.join(FX, 'pandagpt', 'pytorch_model.pt'))
vd, fd = os.path.join(OUT, 'vicuna'), os.path.join(FX, 'vicuna')
if sorted(os.listdir(vd)) != sorted(os.listdir(fd)):
    fails.append(f'vicuna files differ: {sorted(os.listdir(vd))} vs {sorted(os.listdir(fd))}')
merged_a, merged_b = {}, {}
for f in sorted(os.listdir(fd)):
    if f.endswith('.bin'):
        merged_a.update(torch.load(os.path.join(vd, f), map_location='cpu'))
        merged_b.update(torch.load(os.path.join(fd, f), map_location='cpu'))
        if not zipfile.is_zipfile(os.path.join(vd, f)):
            fails.append(f'{f} is not zip')
if sig(merged_a) != sig(merged_b):
    fails.append(f'vicuna key signature differs: {set(sig(merged_a).items()) ^ set(sig(merged_b).items())}')
idx = json.load(open(os.path.join(vd, 'pytorch_model.bin.index.json')))
if set(idx['weight_map']) != set(merged_a):
    fails.append('index weight_map keys != shard keys')
if idx['metadata']['total_size'] != sum(v.numel() * v.element_size() for v in merged_a.values()):
    fails.append('index total_size wrong')
for f in ('tokenizer.model', 'special_tokens_map.json', 'tokenizer_config.json', 'added_tokens.json'):
    if open(os.path.join(vd, f), 'rb').read() != open(os.path.join(fd, f), 'rb').read():
        fails.append(f'{f} differs from the fixture copy')
conf = json.load(open(os.path.join(vd, 'config.json')))
fconf = json.load(open(os.path.join(fd, 'config.json')))
if set(conf) != set(fconf):
    fails.append('vicuna config.json keys differ')
H, L = conf['hidden_size'], conf['num_hidden_layers']
hd = H // conf['num_attention_heads']
if merged_a['model.embed_tokens.weight'].shape != (32001, H) or merged_a['lm_head.weight'].shape != (32001, H):
    fails.append('vocab rows != 32001')
if merged_a['model.layers.0.self_attn.rotary_emb.inv_freq'].shape != (hd // 2,):
    fails.append('inv_freq shape')
r = dl['llama_proj.weight']
icfg = json.load(open(os.path.join(OUT, 'imagebind', 'config.json')))
if tuple(r.shape) != (H, icfg['out_embed_dim']):
    fails.append('llama_proj shape')
if sum(1 for k in dl if 'lora_A' in k) != 4 * L:
    fails.append('LoRA tensor count')
fk = json.load(open(os.path.join(FX, 'imagebind', 'config.json')))
if set(icfg) != set(fk) or set(icfg['constructor_kwargs']) != set(fk['constructor_kwargs']):
    fails.append('imagebind config.json keys differ from the fixture')
from_model = __import__('importlib').import_module
sys.path.insert(0, os.path.join(ROOT, 'training'))
from models import ImageBindTiny  # noqa: E402
m = ImageBindTiny(icfg['constructor_kwargs'])
m.load_state_dict(ib, strict=True)
print('FAILED:\n  ' + '\n  '.join(fails) if fails else 'all layouts match the fixture')
sys.exit(1 if fails else 0)
