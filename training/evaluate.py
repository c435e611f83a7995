"""Held-out evaluation of the exported checkpoints, plus the sample media for e2e tests.

Reads back the files in training/out/ (so it checks the export too), preprocesses the held-out media
FILES the spec's way, and answers each question greedily in PandaGPT's prompt format:
  [BOS] "### Human: <Img>" <media token> "</Img> {question}\\n### Assistant:"  -> stop on id 2277, drop the last 2 tokens.
An answer counts as right when it names every required attribute (any synonym of each group).
"""
import json
import os
import shutil
import subprocess
from collections import OrderedDict, defaultdict

import numpy as np
import torch
import torch.nn.functional as F

import data as D
import preprocess as P
from models import ImageBindTiny, LlamaTiny

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('NANO_OUT') or os.path.join(HERE, 'out')  # NANO_OUT: e.g. a smoke run's scratch dir
TEST_SEED = 987654
PROMPT_START = [835, 12968, 29901, 529, 25518, 29958]
N_TEST = dict(image=72, video=16, audio=49, thermal=30, depth=30, imu=20, both=30)


# ------------------------------------------------------------------ loading the exported files

def load_imagebind():
    conf = json.load(open(os.path.join(OUT, 'imagebind', 'config.json')))
    ib = ImageBindTiny(conf['constructor_kwargs'])
    ib.load_state_dict(torch.load(os.path.join(OUT, 'imagebind', 'imagebind.pth'), map_location='cpu'), strict=True)
    return ib.eval()


def load_llm(delta_dir, vicuna_dir=None, alpha=None):
    """Vicuna dir + PandaGPT delta -> LlamaTiny with LoRA merged in fp32 (as the converter does), proj."""
    vd = vicuna_dir or os.path.join(OUT, 'vicuna')
    conf = json.load(open(os.path.join(vd, 'config.json')))
    idx = json.load(open(os.path.join(vd, 'pytorch_model.bin.index.json')))
    sd = {}
    for name in sorted(set(idx['weight_map'].values())):
        sd.update(torch.load(os.path.join(vd, name), map_location='cpu'))
    delta = torch.load(os.path.join(OUT, delta_dir, 'pytorch_model.pt'), map_location='cpu')  # OUT/abs path
    llm = LlamaTiny(conf, 0, 1)
    r = delta['llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight'].shape[0]
    if alpha is None:
        alpha = float(open(os.path.join(OUT, delta_dir, 'README.txt')).read().split('lora_alpha = ')[1].split(',')[0])
    scaling = alpha / r
    st = {'embed_tokens.weight': sd['model.embed_tokens.weight'], 'norm.weight': sd['model.norm.weight'],
          'lm_head': sd['lm_head.weight']}
    for i in range(conf['num_hidden_layers']):
        for x in ('q', 'k', 'v', 'o'):
            w = sd[f'model.layers.{i}.self_attn.{x}_proj.weight'].float()
            pre = f'llama_model.base_model.model.model.layers.{i}.self_attn.{x}_proj.'
            a = delta[pre + 'lora_A.default.weight'].float()
            b = delta[pre + 'lora_B.default.weight'].float()
            st[f'layers.{i}.{x}_proj.weight'] = w + scaling * (b @ a)
        for n_ in ('gate_proj', 'up_proj', 'down_proj'):
            st[f'layers.{i}.{n_}.weight'] = sd[f'model.layers.{i}.mlp.{n_}.weight']
        for n_ in ('input_layernorm', 'post_attention_layernorm'):
            st[f'layers.{i}.{n_}.weight'] = sd[f'model.layers.{i}.{n_}.weight']
    llm.load_state_dict({k: v.float() for k, v in st.items()}, strict=True)
    proj = torch.nn.Linear(delta['llama_proj.weight'].shape[1], delta['llama_proj.weight'].shape[0])
    proj.load_state_dict({'weight': delta['llama_proj.weight'].float(), 'bias': delta['llama_proj.bias'].float()})
    return llm.eval(), proj.eval()


# ------------------------------------------------------------------ media files -> PandaGPT embeddings

@torch.no_grad()
def embed_file(ib, mod, path):
    if mod == 'image':
        return ib.panda_embed('vision', P.load_image(path)[None])[0]
    if mod == 'video':
        return ib.panda_embed('vision', P.load_video(path)).mean(0)  # mean of 15 normalised clip/crop rows
    if mod == 'audio':
        return ib.panda_embed('audio', P.load_audio(path)).mean(0)  # mean of 3 normalised clips, no x20
    if mod == 'thermal':
        return ib.panda_embed('thermal', P.load_thermal(path)[None])[0]  # normalised x10
    if mod == 'depth':
        return ib.panda_embed('depth', P.load_depth(path)[None])[0]
    if mod == 'imu':
        return ib.panda_embed('imu', P.load_imu(path)[None])[0]
    raise ValueError(mod)


# ------------------------------------------------------------------ generation

@torch.no_grad()
def greedy(llm, proj, sp, items, max_new=40):
    """items: list of (list of embeddings, question). Returns decoded answers (PandaGPT post-processing)."""
    prompts = []
    for embs, q in items:
        pre = llm.embed_tokens(torch.tensor([1] + PROMPT_START))
        tok = sum(proj(e) for e in embs)[None]  # summed after projection
        post = llm.embed_tokens(torch.tensor(sp.encode('</Img> ' + q + '\n### Assistant:')))
        prompts.append(torch.cat([pre, tok, post]))
    out = [None] * len(items)
    by_len = defaultdict(list)
    for i, p in enumerate(prompts):
        by_len[p.shape[0]].append(i)
    for L, idx in by_len.items():
        x = torch.stack([prompts[i] for i in idx])
        gen = [[] for _ in idx]
        done = [False] * len(idx)
        for _ in range(max_new):
            h = llm.hidden(x)[:, -1]
            nxt = llm.logits_full(h).argmax(-1)
            for j, t in enumerate(nxt.tolist()):
                if not done[j]:
                    gen[j].append(t)
                    if t in (2277, 2):
                        done[j] = True
            if all(done):
                break
            x = torch.cat([x, llm.embed_tokens(nxt)[:, None]], dim=1)
        for j, i in enumerate(idx):
            ids = gen[j][:-2] if gen[j] and gen[j][-1] in (2277, 2) else gen[j]
            out[i] = sp.decode(ids)
    return out


# ------------------------------------------------------------------ the held-out test set (files)

def build_testset():
    """Writes out/testset/ (media files + testset.json). Different seed and speech voices than training."""
    d = os.path.join(OUT, 'testset')
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    rng = np.random.default_rng(TEST_SEED)
    items = []

    def add(mod, spec, files):
        qs = []
        for qt in D.qtypes(spec):
            q = str(rng.choice(D.Q[qt]))
            a, key = D.answer(spec, qt, rng)
            qs.append({'type': qt, 'question': q, 'reference_answer': a, 'key': key})
        items.append({'id': f'{mod}-{len(items):03d}', 'modality': mod, 'files': files, 'spec': spec, 'questions': qs})

    for i in range(N_TEST['image']):
        s = D.image_spec(rng, count=1 + i % 3)
        a = D.render_rgb(s, D.layout(s, rng), rng)
        ext = 'png' if i % 4 == 0 else 'jpg'
        name = f'image-{i:03d}.{ext}'
        from PIL import Image
        Image.fromarray(a).save(os.path.join(d, name), quality=92)
        add('image', s, [name])
    for i in range(N_TEST['video']):
        s = D.video_spec(rng, direction=D.DIRECTIONS[i % 4])
        name = f'video-{i:03d}.mp4'
        D.write_mp4(os.path.join(d, name), D.render_video(s, rng), crf=20)
        add('video', s, [name])
    kinds = ['tone', 'tone', 'chirp', 'noise', 'beeps', 'word', 'word']
    for i in range(N_TEST['audio']):
        s = D.audio_spec(rng, kind=kinds[i % len(kinds)])
        name = f'audio-{i:03d}.wav'
        D.write_wav(os.path.join(d, name), D.render_audio(s, rng, split='test'))
        add('audio', s, [name])
    from PIL import Image
    for i in range(N_TEST['thermal']):
        s = D.thermal_spec(rng)
        name = f'thermal-{i:03d}.jpg'
        Image.fromarray(D.render_thermal(D.layout(s, rng), rng)).convert('RGB').save(os.path.join(d, name), quality=92)
        add('thermal', s, [name])
    for i in range(N_TEST['depth']):
        s = D.depth_spec(rng)
        name = f'depth-{i:03d}.png'
        Image.fromarray(D.render_depth(s, D.layout(s, rng), rng)).save(os.path.join(d, name))
        add('depth', s, [name])
    for i in range(N_TEST['imu']):
        s = D.imu_spec(rng)
        s['activity'] = D.ACTIVITIES[i % 5]
        name = f'imu-{i:03d}.csv'
        D.write_imu_csv(os.path.join(d, name), D.render_imu(s, rng))
        add('imu', s, [name])
    imgs = [it for it in items if it['modality'] == 'image']
    auds = [it for it in items if it['modality'] == 'audio']
    for i in range(N_TEST['both']):
        im, au = imgs[int(rng.integers(len(imgs)))], auds[int(rng.integers(len(auds)))]
        q = str(rng.choice(D.Q['both']))
        a, key = D.both_answer(im['spec'], au['spec'])
        items.append({'id': f'both-{i:03d}', 'modality': 'image+audio', 'files': im['files'] + au['files'],
                      'spec': [im['spec'], au['spec']], 'questions': [
                          {'type': 'both', 'question': q, 'reference_answer': a, 'key': key,
                           'image_key': [[im['spec']['colour']], [im['spec']['shape']]], 'audio_key': D.sound_key(au['spec'])}]})
    meta = {'seed': TEST_SEED, 'note': 'Held-out PandaGPT-nano test set (never trained on: other seed, other espeak voices). '
            'An answer is right when, for every group in `key`, it contains one of the group\'s words (case-insensitive).',
            'items': items}
    with open(os.path.join(d, 'testset.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    return meta


def run_testset(ib, sp, deltas, name='testset'):
    """Answers every question of OUT/name/name.json (testset or wildset) with each delta."""
    meta = json.load(open(os.path.join(OUT, name, name + '.json')))
    d = os.path.join(OUT, name)
    cache = {}

    def emb(mod, f):
        if f not in cache:
            cache[f] = embed_file(ib, mod, os.path.join(d, f))
        return cache[f]

    reqs, where = [], []
    for it in meta['items']:
        if it['modality'] == 'image+audio':
            embs = [emb('image', it['files'][0]), emb('audio', it['files'][1])]
        else:
            embs = [emb(it['modality'], it['files'][0])]
        for q in it['questions']:
            reqs.append((embs, q['question']))
            where.append((it, q))
    results = {}
    for tag, delta_dir in deltas.items():
        llm, proj = load_llm(delta_dir)
        answers = greedy(llm, proj, sp, reqs)
        stats = defaultdict(lambda: [0, 0])
        both = {'both': 0, 'image_only': 0, 'audio_only': 0, 'neither': 0}
        examples, every = [], []
        for (it, q), a in zip(where, answers):
            every.append({'id': it['id'], 'question': q['question'], 'answer': a})
            ok = D.is_correct(a, q['key'])
            k = (it['modality'], q['type'])
            stats[k][0] += ok
            stats[k][1] += 1
            if q['type'] == 'both':
                i_ok, a_ok = D.is_correct(a, q['image_key']), D.is_correct(a, q['audio_key'])
                both['both' if i_ok and a_ok else 'image_only' if i_ok else 'audio_only' if a_ok else 'neither'] += 1
            if len(examples) < 400:
                examples.append({'id': it['id'], 'question': q['question'], 'answer': a, 'right': ok})
        results[tag] = {'stats': {f'{m}/{t}': {'right': r, 'n': n} for (m, t), (r, n) in stats.items()},
                        'arithmetic': both, 'examples': examples, 'answers': every}
    return results


def summarise(res):
    table = OrderedDict()
    for key in res['final']['stats']:
        mod, qt = key.split('/')
        z, f = res['zero_shot']['stats'][key], res['final']['stats'][key]
        table.setdefault(mod, OrderedDict())[qt] = {'n': f['n'], 'zero_shot': round(z['right'] / z['n'], 3),
                                                     'final': round(f['right'] / f['n'], 3)}
    per_mod = OrderedDict()
    for mod, qs in table.items():
        n = sum(v['n'] for v in qs.values())
        per_mod[mod] = {'n': n, 'zero_shot': round(sum(v['zero_shot'] * v['n'] for v in qs.values()) / n, 3),
                        'final': round(sum(v['final'] * v['n'] for v in qs.values()) / n, 3)}
    return table, per_mod


def md_table(table, per_mod, ar):
    lines = ['| modality | question | n | zero-shot | final |', '| --- | --- | ---: | ---: | ---: |']
    for mod, qs in table.items():
        for qt, v in qs.items():
            lines.append(f"| {mod} | {qt} | {v['n']} | {v['zero_shot']:.0%} | {v['final']:.0%} |")
    for mod, v in per_mod.items():
        lines.append(f"| **{mod}** | **all** | {v['n']} | **{v['zero_shot']:.0%}** | **{v['final']:.0%}** |")
    lines.append('')
    lines.append('Image + audio (summed media tokens), answers naming image colour+shape / the sound:')
    lines.append('')
    lines.append('| | both | image only | audio only | neither |')
    lines.append('| --- | ---: | ---: | ---: | ---: |')
    for k in ('zero_shot', 'final'):
        lines.append(f"| {k.replace('_', '-')} | {ar[k]['both']} | {ar[k]['image_only']} | {ar[k]['audio_only']} | {ar[k]['neither']} |")
    return lines


def main_eval():
    import sentencepiece as spm
    import wild as W
    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, 'vicuna', 'tokenizer.model'))
    torch.manual_seed(0)
    if not os.path.exists(os.path.join(OUT, 'testset', 'testset.json')):  # deterministic (seed); reuse if built
        build_testset()
    if not os.path.exists(os.path.join(OUT, 'wildset', 'wildset.json')):  # its own generator (wild.py)
        W.build_wildset(os.path.join(OUT, 'wildset'))
    ib = load_imagebind()
    deltas = {'zero_shot': 'pandagpt-zeroshot', 'final': 'pandagpt'}
    res = run_testset(ib, sp, deltas)
    res_w = run_testset(ib, sp, deltas, 'wildset')
    table, per_mod = summarise(res)
    table_w, per_mod_w = summarise(res_w)
    ev = {'what': 'PandaGPT-nano held-out evaluation: share of greedy answers naming the right attribute(s).',
          'prompt': '[BOS] "### Human: <Img>" <media token> "</Img> {question}\\n### Assistant:"; stop on 2277; drop last 2 tokens',
          'zero_shot': 'after the PandaGPT stage on image-text instructions only (delta out/pandagpt-zeroshot)',
          'final': 'after adding paired instruction data for every modality (delta out/pandagpt)',
          'per_modality': per_mod, 'per_question_type': table,
          'arithmetic_image_plus_audio': {'zero_shot': res['zero_shot']['arithmetic'], 'final': res['final']['arithmetic']},
          'examples_final': res['final']['examples'][::6], 'examples_zero_shot': res['zero_shot']['examples'][::6],
          'answers_final': res['final']['answers'],
          'wild': {'what': 'the wild held-out set (training/wild.py: its own generator, never trained on)',
                   'per_modality': per_mod_w, 'per_question_type': table_w,
                   'arithmetic_image_plus_audio': {k: res_w[k]['arithmetic'] for k in ('zero_shot', 'final')}},
          'answers_wild': res_w['final']['answers']}
    with open(os.path.join(OUT, 'eval.json'), 'w') as f:
        json.dump(ev, f, indent=1)
    lines = md_table(table, per_mod, ev['arithmetic_image_plus_audio'])
    lines += ['', '## Wild set (training/wild.py)', '']
    lines += md_table(table_w, per_mod_w, ev['wild']['arithmetic_image_plus_audio'])
    with open(os.path.join(OUT, 'eval.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    for title, tb, pm in (('held-out', table, per_mod), ('wild', table_w, per_mod_w)):
        print(f"{title:<12}{'question':<11}{'n':>4}{'zero-shot':>11}{'final':>8}")
        for mod, qs in tb.items():
            for qt, v in qs.items():
                print(f"{mod:<12}{qt:<11}{v['n']:>4}{v['zero_shot']:>11.3f}{v['final']:>8.3f}")
        for mod, v in pm.items():
            print(f"{mod:<12}{'ALL':<11}{v['n']:>4}{v['zero_shot']:>11.3f}{v['final']:>8.3f}")
    print('arithmetic', ev['arithmetic_image_plus_audio'], 'wild', ev['wild']['arithmetic_image_plus_audio'])
    return ev


# ------------------------------------------------------------------ samples for e2e tests

def make_samples():
    """out/samples/: a few held-out media files and what the final model answers for them."""
    import sentencepiece as spm
    from PIL import Image
    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, 'vicuna', 'tokenizer.model'))
    d = os.path.join(OUT, 'samples')
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    rng = np.random.default_rng(4242)
    spec = {}

    def img(name, s):
        Image.fromarray(D.render_rgb(s, D.layout(s, rng), rng)).save(os.path.join(d, name))
        spec[name] = ('image', dict(s, mod='image'))

    img('red-circle.png', {'colour': 'red', 'shape': 'circle', 'size': 'big', 'count': 1, 'position': 'center'})
    img('blue-square.png', {'colour': 'blue', 'shape': 'square', 'size': 'big', 'count': 1, 'position': 'center'})
    img('two-green-stars.png', {'colour': 'green', 'shape': 'star', 'size': 'small', 'count': 2})
    for name, s in (('high-tone.wav', {'kind': 'tone', 'pitch': 'high'}), ('low-tone.wav', {'kind': 'tone', 'pitch': 'low'}),
                    ('three-beeps.wav', {'kind': 'beeps', 'count': 3}), ('rising-chirp.wav', {'kind': 'chirp', 'direction': 'up'}),
                    ('word-red.wav', {'kind': 'word', 'word': 'red'})):
        s = dict(s, mod='audio')
        D.write_wav(os.path.join(d, name), D.render_audio(s, rng, split='test'))
        spec[name] = ('audio', s)
    # microphone-like: 48 kHz, 3 s, a high tone with room noise (Chromium --use-file-for-fake-audio-capture)
    t = np.arange(3 * 48000) / 48000
    y = 0.4 * np.sin(2 * np.pi * 1760 * t) * np.clip(np.minimum(t, 3 - t) / 0.05, 0, 1) + rng.normal(0, 0.004, t.shape)
    D.write_wav(os.path.join(d, 'mic-high-tone.wav'), y.astype(np.float32), sr=48000)
    spec['mic-high-tone.wav'] = ('audio', {'mod': 'audio', 'kind': 'tone', 'pitch': 'high'})
    # webcam-like: 320x240 at 10 fps, a red circle in the middle (Chromium --use-file-for-fake-video-capture)
    bg = np.clip(D._background(rng, 30, 60, 3), 0, 255).astype(np.uint8)
    frames = []
    for k in range(10):
        im = Image.fromarray(np.array(Image.fromarray(bg).resize((320, 240))))
        from PIL import ImageDraw
        D.draw_objects(ImageDraw.Draw(im), [(160, 120, 40, 'circle', 0)], [(220, 35, 35)])
        a = np.asarray(im).astype(np.float32) + rng.normal(0, 3, (240, 320, 3))
        frames.append(np.clip(a, 0, 255).astype(np.uint8))
    raw = np.stack(frames).tobytes()
    for name, args in (('webcam-red-circle.y4m', ['-pix_fmt', 'yuv420p']),
                       ('webcam-red-circle.mjpeg', ['-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg'])):
        subprocess.run(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '320x240', '-r', '10',
                        '-i', '-'] + args + [os.path.join(d, name)], input=raw, check=True)
    Image.fromarray(frames[0]).save(os.path.join(d, 'webcam-red-circle-frame0.png'))
    spec['webcam-red-circle-frame0.png'] = ('image', {'mod': 'image', 'colour': 'red', 'shape': 'circle', 'size': 'big',
                                                      'count': 1, 'position': 'center'})
    vs = {'mod': 'video', 'colour': 'yellow', 'shape': 'triangle', 'size': 'big', 'count': 1, 'direction': 'right'}
    D.write_mp4(os.path.join(d, 'yellow-triangle-right.mp4'), D.render_video(vs, rng))
    spec['yellow-triangle-right.mp4'] = ('video', vs)
    ts = {'mod': 'thermal', 'shape': 'circle', 'size': 'big', 'count': 2}
    Image.fromarray(D.render_thermal(D.layout(ts, rng), rng)).convert('RGB').save(os.path.join(d, 'thermal-two-circles.jpg'))
    spec['thermal-two-circles.jpg'] = ('thermal', ts)
    ds = {'mod': 'depth', 'shape': 'square', 'size': 'big', 'count': 1, 'distance': 'near'}
    Image.fromarray(D.render_depth(ds, D.layout(ds, rng), rng)).save(os.path.join(d, 'depth-near-square.png'))
    spec['depth-near-square.png'] = ('depth', ds)
    imu = {'mod': 'imu', 'activity': 'running'}
    D.write_imu_csv(os.path.join(d, 'imu-running.csv'), D.render_imu(imu, rng))
    spec['imu-running.csv'] = ('imu', imu)
    # Wild inputs (not the training renderer's look): what a user draws, photographs or whistles.
    wild_samples(d, rng, spec)

    ib = load_imagebind()
    llm, proj = load_llm('pandagpt')
    reqs, rows = [], []
    for name, (mod, s) in spec.items():
        e = embed_file(ib, mod, os.path.join(d, name))
        for qt in D.qtypes(s):
            if s.get('wild') and qt == 'size':  # big/small is not defined for a user's picture
                continue
            q = D.Q[qt][0] if qt != 'unknown' else D.Q_UNKNOWN[s['src']][-1]
            a, key = D.answer(s, qt, rng)
            reqs.append(([e], q))
            rows.append({'files': [name], 'modality': mod, 'question': q, 'key': key})
    for a_name in ('high-tone.wav', 'mic-high-tone.wav'):
        e1, e2 = embed_file(ib, 'image', os.path.join(d, 'red-circle.png')), embed_file(ib, 'audio', os.path.join(d, a_name))
        q = D.Q['both'][0]
        reqs.append(([e1, e2], q))
        rows.append({'files': ['red-circle.png', a_name], 'modality': 'image+audio', 'question': q,
                     'key': [['red'], ['circle'], ['high']]})
    answers = greedy(llm, proj, sp, reqs)
    for r, a in zip(rows, answers):
        r['model_answer'] = a
        r['right'] = D.is_correct(a, r['key'])
    with open(os.path.join(d, 'answers.json'), 'w') as f:
        json.dump({'note': 'Greedy answers of the final PandaGPT-nano (python reference run) for these files; '
                   '`key`: every group must be named (any word of the group). The webcam clip shows the same '
                   'scene as webcam-red-circle-frame0.png; mic-high-tone.wav is 48 kHz.', 'samples': rows}, f, indent=1)
    print(f"samples: {sum(r['right'] for r in rows)}/{len(rows)} answers right")
    for r in rows:
        print(('ok  ' if r['right'] else 'MISS'), r['files'], r['question'], '->', r['model_answer'])


def wild_samples(d, rng, spec):
    """Sample files as users make them (for the page's e2e tests): a drawing on a white canvas, a
    JPEG photo of a shape on a light background, a quiet whistle into a microphone with hum, and two
    things from outside the world (a photo, a spoken sentence)."""
    from PIL import Image, ImageDraw

    # a blue square drawn in a paint program: 800x600 white canvas, anti-aliased, slightly rotated
    ss = 2
    im = Image.new('RGB', (800 * ss, 600 * ss), (252, 252, 252))
    D.draw_objects(ImageDraw.Draw(im), [(400 * ss, 300 * ss, 120 * ss, 'square', 8)], [(38, 92, 226)])
    im.resize((800, 600), Image.LANCZOS).save(os.path.join(d, 'drawing-blue-square.png'))
    spec['drawing-blue-square.png'] = ('image', {'mod': 'image', 'colour': 'blue', 'shape': 'square', 'size': 'big',
                                                 'count': 1, 'position': 'center', 'wild': True})
    # a phone photo: 1024x768 JPEG (quality 40) of a green triangle on a light, unevenly lit table
    yy, xx = np.mgrid[0:768, 0:1024]
    light = 205 + 30 * np.cos((xx - 300) / 900) * np.cos((yy - 200) / 700)
    bg = np.stack([light, light * 0.97, light * 0.9], -1) + rng.normal(0, 4, (768, 1024, 3))
    im = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))
    D.draw_objects(ImageDraw.Draw(im), [(512, 400, 170, 'triangle', -6)], [(46, 160, 70)])
    im.save(os.path.join(d, 'photo-green-triangle.jpg'), quality=40)
    spec['photo-green-triangle.jpg'] = ('image', {'mod': 'image', 'colour': 'green', 'shape': 'triangle', 'size': 'big',
                                                  'count': 1, 'wild': True})
    # a quiet whistle (~1.6 kHz with vibrato) into a laptop microphone: 48 kHz, peak 0.05, mains hum + hiss
    sr = 48000
    t = np.arange(4 * sr) / sr
    f = 1600 + 25 * np.sin(2 * np.pi * 5 * t)
    y = 0.05 * np.sin(2 * np.pi * np.cumsum(f) / sr) * np.clip(np.minimum(t - 0.2, 3.8 - t) / 0.1, 0, 1)
    y = y + 0.004 * np.sin(2 * np.pi * 50 * t) + rng.normal(0, 0.002, t.shape)
    D.write_wav(os.path.join(d, 'mic-quiet-whistle.wav'), y.astype(np.float32), sr=sr)
    spec['mic-quiet-whistle.wav'] = ('audio', {'mod': 'audio', 'kind': 'tone', 'pitch': 'high', 'wild': True})
    # outside the world: a real photo (scikit-image's coffee cup) and a spoken sentence
    import skimage.data
    Image.fromarray(skimage.data.coffee()).save(os.path.join(d, 'photo-coffee.jpg'), quality=85)
    spec['photo-coffee.jpg'] = ('image', dict(D.unknown_spec('image'), wild=True))
    with __import__('tempfile').TemporaryDirectory() as td:
        p = os.path.join(td, 's.wav')
        subprocess.run(['espeak-ng', '-v', 'en-gb-scotland', '-w', p, 'where is the nearest train station please'],
                       check=True, capture_output=True)
        w, wsr = P.read_wav(p)
        D.write_wav(os.path.join(d, 'speech-sentence.wav'), w[0].numpy() * 0.8, sr=wsr)
    spec['speech-sentence.wav'] = ('audio', dict(D.unknown_spec('audio'), wild=True))
