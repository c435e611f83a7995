"""Checks training/models.py + training/preprocess.py against the pandagpt-tiny reference outputs
(computed with the original PandaGPT/ImageBind code). Run: /usr/bin/python3 test/training/check_against_fixture.py"""
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'training'))
import preprocess as P  # noqa: E402
from models import ImageBindTiny, imagebind_key_order  # noqa: E402

FX = os.path.join(ROOT, 'test', 'fixtures', 'pandagpt-tiny')
REF = os.path.join(FX, 'reference', 'media')
fails = []


def check(name, got, want, tol):
    d = float(np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64)).max())
    ok = d <= tol
    print(f"{'ok  ' if ok else 'FAIL'} {name}: max|d|={d:.2e} (tol {tol})")
    if not ok:
        fails.append(name)


cfg = json.load(open(os.path.join(FX, 'imagebind', 'config.json')))['constructor_kwargs']
m = ImageBindTiny(cfg)
sd = torch.load(os.path.join(FX, 'imagebind', 'imagebind.pth'), map_location='cpu')
assert list(sd.keys()) == imagebind_key_order(cfg), 'key order differs from the fixture'
m.load_state_dict(sd, strict=True)
m.eval()
ld = lambda n: np.load(os.path.join(REF, n))  # noqa: E731
with torch.no_grad():
    for name, mod in (('image_dog', 'vision'), ('thermal_190662', 'thermal'), ('depth_scene', 'depth'), ('imu_walk', 'imu'), ('audio_dog', 'audio')):
        x = torch.from_numpy(ld(name + '.input.npy'))
        if x.ndim >= 5:
            x = x.flatten(0, 1)
        check(name + ' head', m.head_out(mod, x).numpy(), ld(name + '.head.npy').reshape(x.shape[0], -1), 1e-4)
    media = os.path.join(FX, 'media')
    check('image file->input', P.load_image(os.path.join(media, 'images', 'dog_image.jpg')).numpy(), ld('image_dog.input.npy')[0], 0.02)
    check('thermal file->input', P.load_thermal(os.path.join(media, 'thermals', '190662.jpg')).numpy(), ld('thermal_190662.input.npy')[0], 0.005)
    check('depth file->input', P.load_depth(os.path.join(media, 'depth', 'scene.png')).numpy(), ld('depth_scene.input.npy')[0], 1e-6)
    check('imu file->input', P.load_imu(os.path.join(media, 'imu', 'walk.csv')).numpy(), ld('imu_walk.input.npy')[0], 1e-6)
    w, sr = P.read_wav(os.path.join(media, 'audios', 'dog_audio.wav'))
    check('audio resample', P.resample(w, sr).numpy(), ld('audio_dog.waveform16k.npy'), 1e-4)
    check('audio file->input', P.load_audio(os.path.join(media, 'audios', 'dog_audio.wav')).numpy(), ld('audio_dog.input.npy')[0], 5e-3)  # max is at a near-silent bin (log of ~eps); mean |d| ~2e-6
from clip_bpe import ClipBpe  # noqa: E402
idx = json.load(open(os.path.join(FX, 'reference', 'index.json')))['text_encoder']
bpe = ClipBpe()
toks = [bpe.tokenize(it['text']) for it in idx['items']]
check('clip bpe ids', np.array(toks), np.load(os.path.join(FX, 'reference', 'text', 'tokens.npy')), 0)
with torch.no_grad():
    check('text head', m.head_out('text', torch.tensor(toks)).numpy(), np.load(os.path.join(FX, 'reference', 'text', 'head.npy')), 1e-4)
import evaluate as EV  # noqa: E402
llm, proj = EV.load_llm(os.path.join(FX, 'pandagpt'), vicuna_dir=os.path.join(FX, 'vicuna'), alpha=32)
LREF = os.path.join(FX, 'reference', 'llm', 'image_dog')
with torch.no_grad():
    x = torch.from_numpy(np.load(os.path.join(LREF, 'inputs_embeds.npy')))[None]
    h = llm.hidden(x)[0]
    check('llama final hidden', h.numpy(), np.load(os.path.join(LREF, 'final_hidden.npy')), 1e-3)
    check('llama prefill logits', llm.logits_full(h[-1]).numpy(), np.load(os.path.join(LREF, 'prefill_logits.npy')), 1e-3)
    emb = torch.from_numpy(ld('image_dog.embedding.npy'))
    check('llama_proj media token', proj(emb).numpy(), np.load(os.path.join(LREF, 'media_token.npy')), 1e-4)
print('FAILED: ' + ', '.join(fails) if fails else 'all ok')
sys.exit(1 if fails else 0)
