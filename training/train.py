"""PandaGPT-nano: trains a tiny PandaGPT on the synthetic world, following PandaGPT's recipe.

  python3 training/train.py --all        # everything from scratch (fixed seed), writes training/out/
  python3 training/train.py --stage NAME # one stage: data clip bind lm align export eval samples

Stages (intermediate results in training/build/, not committed):
  data   generate the training split in memory and cache it
  clip   vision + text encoders, CLIP-style (image-caption contrastive; the stand-in for pretrained CLIP)
  bind   audio/thermal/depth/IMU encoders bound to frozen image embeddings (ImageBind, image as anchor)
  lm     the LLaMA-architecture LM on the text of the world (the stand-in for Vicuna)
  align  PandaGPT stage: only llama_proj + LoRA trained, on image-text instructions (zero-shot for the rest),
         then a second pass with paired instruction data for every modality (the "final" model)
  export real checkpoint layouts in training/out/; eval reads those files back
"""
import os
# Debian's torch calls BLAS from one thread; OpenBLAS's own threads only add contention for these
# small matrices (measured: 1 thread as fast as 2), so each stage process uses one core.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import argparse  # noqa: E402
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import data as D  # noqa: E402
import preprocess as P  # noqa: E402
from clip_bpe import ClipBpe  # noqa: E402
from models import IMAGEBIND_DEFAULTS, ImageBindTiny, LlamaTiny  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get('NANO_BUILD') or os.path.join(HERE, 'build')
OUT = os.environ.get('NANO_OUT') or os.path.join(HERE, 'out')  # NANO_OUT: e.g. a smoke run's scratch dir
FIXTURE = os.path.join(HERE, '..', 'test', 'fixtures', 'pandagpt-tiny')
SEED = 1234

IB_CFG = dict(IMAGEBIND_DEFAULTS, out_embed_dim=64,
              vision_embed_dim=64, vision_num_blocks=2, vision_num_heads=1,
              text_embed_dim=32, text_num_blocks=1, text_num_heads=2,
              audio_embed_dim=48, audio_num_blocks=1, audio_num_heads=4,
              depth_embed_dim=32, depth_num_blocks=1, depth_num_heads=2,
              thermal_embed_dim=32, thermal_num_blocks=1, thermal_num_heads=2,
              imu_embed_dim=32, imu_num_blocks=1, imu_num_heads=2)
LLM_CFG = dict(hidden_size=128, intermediate_size=344, num_hidden_layers=2, num_attention_heads=4, vocab_size=32001,
               rms_norm_eps=1e-6, max_position_embeddings=2048)
LORA_R, LORA_ALPHA = 16, 32  # scaling 2; alpha 32 is PandaGPT's (and the converter's default)

N = dict(image=6000, video=1000, audio=3600, thermal=700, depth=700, imu=600)
# Shares of the training media drawn with a randomised look (data.py "domain randomisation"), and of
# media from outside the world (answered with D.UNKNOWN_ANSWER).
WILD = dict(image=0.35, video=0.5, audio=0.45)
OOD = dict(image=0.08, audio=0.08)
PROMPT_START = [835, 12968, 29901, 529, 25518, 29958]  # tok("### Human: <Img>")

T0 = time.time()
SMOKE = bool(os.environ.get('NANO_SMOKE'))  # tiny sizes to test the pipeline end to end
if SMOKE:
    N = {k: 64 for k in N}


def steps_(n):
    return 3 if SMOKE else n


def log(*a):
    print(f'[{time.time() - T0:7.1f}s]', *a, flush=True)


def seed_all(s):
    torch.manual_seed(s)
    np.random.seed(s)


def tokenizer():
    import sentencepiece as spm
    return spm.SentencePieceProcessor(model_file=os.path.join(FIXTURE, 'vicuna', 'tokenizer.model'))


# ============================================================== data

MOD_INDEX = {'image': 0, 'video': 1, 'audio': 2, 'thermal': 3, 'depth': 4, 'imu': 5}


def gen_split(seed, n, mods=None):
    """Training media (in memory) with their specs and binding partners; each modality has its own
    random stream, so a stage can generate just the modalities it needs."""
    mods = mods or list(MOD_INDEX)
    out = {}
    rng = np.random.default_rng(seed * 10 + MOD_INDEX['image'])
    specs, imgs = [], np.zeros((n['image'] if 'image' in mods else 0, 224, 224, 3), np.uint8)
    plab, pcen = np.zeros((len(imgs), 256), np.int64), np.zeros((len(imgs), 256), np.int64)
    cent = np.full((len(imgs), 2), np.nan, np.float32)  # a single shape's centre, for the position head
    for i in range(len(imgs)):
        u = rng.random()
        if u < OOD['image']:
            s, objs = D.unknown_spec('image'), []
            imgs[i] = D.render_ood_image(rng)
        elif u < OOD['image'] + WILD['image']:
            imgs[i], objs, s = D.render_rgb_wild(D.image_spec(rng), rng)
        else:
            s = D.image_spec(rng)
            objs = D.layout(s, rng)
            imgs[i] = D.render_rgb(s, objs, rng)
        plab[i], pcen[i] = patch_labels(objs)
        if len(objs) == 1:
            cent[i] = (objs[0][0] - 112) / 112, (objs[0][1] - 112) / 112
        specs.append(s)
    out['image'] = (specs, imgs)
    out['image_patches'] = (plab, pcen, cent)
    log('images', imgs.shape)
    rng = np.random.default_rng(seed * 10 + MOD_INDEX['video'])
    specs, vids = [], np.zeros(((n['video'] if 'video' in mods else 0), 2, 224, 224, 3), np.uint8)
    vmove = np.zeros((len(vids), 2), np.float32)  # displacement between the two frames, for the motion head
    for i in range((n['video'] if 'video' in mods else 0)):
        s = D.video_spec(rng, direction=None if rng.random() > 0.1 else 'none')
        if rng.random() < WILD['video']:
            vids[i], vmove[i] = D.render_video_wild(s, rng)
        else:
            vids[i] = D.render_video(s, rng, ends_only=True)
            vmove[i] = {'left': (-0.93, 0), 'right': (0.93, 0), 'up': (0, -0.93), 'down': (0, 0.93), 'none': (0, 0)}[s['direction']]
        specs.append(s)
    out['video'] = (specs, vids)
    out['video_motion'] = vmove
    log('videos', vids.shape)
    rng = np.random.default_rng(seed * 10 + MOD_INDEX['audio'])
    specs, mels, part = [], torch.zeros(((n['audio'] if 'audio' in mods else 0), 1, 128, 204), dtype=torch.float16), []
    for i in range((n['audio'] if 'audio' in mods else 0)):
        u = rng.random()
        if u < OOD['audio']:
            s = D.unknown_spec('audio')
            y = D.ood_audio(rng)
            if rng.random() < WILD['audio']:
                y = D.wild_audio(y, rng)
            part.append({'unknown': True})
        else:
            s = D.audio_spec(rng)
            y = D.render_audio(s, rng)
            if u < OOD['audio'] + WILD['audio']:
                y = D.wild_audio(y, rng)
            part.append(D.audio_partner(s, rng))
        mels[i] = P.clip_melspec(torch.from_numpy(y)).half()
        specs.append(s)
    out['audio'] = (specs, mels, part)
    log('audio', mels.shape)
    rng = np.random.default_rng(seed * 10 + MOD_INDEX['thermal'])
    specs, th, part = [], np.zeros(((n['thermal'] if 'thermal' in mods else 0), 224, 224), np.uint8), []
    for i in range((n['thermal'] if 'thermal' in mods else 0)):
        s = D.thermal_spec(rng)
        objs = D.layout(s, rng)
        th[i] = D.render_thermal(objs, rng)
        specs.append(s)
        part.append((D.partner_image_spec(s, rng), objs))
    out['thermal'] = (specs, th, part)
    rng = np.random.default_rng(seed * 10 + MOD_INDEX['depth'])
    specs, dp, part = [], np.zeros(((n['depth'] if 'depth' in mods else 0), 224, 224), np.uint16), []
    for i in range((n['depth'] if 'depth' in mods else 0)):
        s = D.depth_spec(rng)
        objs = D.layout(s, rng)
        dp[i] = D.render_depth(s, objs, rng)
        specs.append(s)
        part.append((D.partner_image_spec(s, rng), objs))
    out['depth'] = (specs, dp, part)
    rng = np.random.default_rng(seed * 10 + MOD_INDEX['imu'])
    specs, imu, part = [], np.zeros(((n['imu'] if 'imu' in mods else 0), 6, 2000), np.float32), []
    for i in range((n['imu'] if 'imu' in mods else 0)):
        s = D.imu_spec(rng)
        imu[i] = D.render_imu(s, rng).T
        specs.append(s)
        part.append(D.imu_partner(s, rng))
    out['imu'] = (specs, imu, part)
    log('thermal/depth/imu done')
    return out


def partner_pixels(mod, part, rng):
    """Render binding partners: (N,2,224,224,3) uint8 (images are two identical frames)."""
    px = np.zeros((len(part), 2, 224, 224, 3), np.uint8)
    for i, p in enumerate(part):
        if mod == 'imu':
            px[i] = D.render_video(p, rng, ends_only=True)
        elif mod in ('thermal', 'depth'):
            spec, objs = p
            px[i, 0] = px[i, 1] = D.render_rgb(spec, objs, rng)
        elif p.get('unknown'):  # sounds from outside the world <-> pictures from outside it
            px[i, 0] = px[i, 1] = D.render_ood_image(rng)
        else:
            px[i, 0] = px[i, 1] = D.render_rgb(p, D.layout(p, rng), rng)
    return px


def vision_input(px):
    """(B,2,224,224,3) uint8 -> (B,3,2,224,224) normalised."""
    B = px.shape[0]
    x = P.norm_rgb_uint8(px.reshape(B * 2, 224, 224, 3)).view(B, 2, 3, 224, 224)
    return x.transpose(1, 2).contiguous()


def mod_input(mod, arr):
    if mod == 'audio':
        return arr.float()
    if mod == 'thermal':
        return torch.from_numpy(arr).float()[:, None] / 255.0
    if mod == 'depth':
        return torch.from_numpy(arr.astype(np.float32))[:, None] / 1000.0
    if mod == 'imu':
        return torch.from_numpy(arr)
    raise ValueError(mod)


ENC_NAME = {'image': 'vision', 'video': 'vision', 'audio': 'audio', 'thermal': 'thermal', 'depth': 'depth', 'imu': 'imu'}


# ============================================================== stage: clip

def attr_labels(specs):
    """Auxiliary attribute targets for the vision encoder (heads are discarded after training)."""
    cols, shapes = list(D.COLOURS), D.SHAPES
    pos = list(D.POSITIONS) + ['none']
    dirs = D.DIRECTIONS + ['none', 'still']
    lab = []
    for s in specs:
        if s['mod'] == 'unknown':  # nothing of the world to name (cross_entropy ignores -100)
            lab.append([-100] * 6)
            continue
        lab.append([cols.index(s['colour']), shapes.index(s['shape']), s['count'] - 1, D.SIZES.index(s['size']),
                    pos.index(s.get('position', 'none')), dirs.index(s.get('direction', 'still'))])
    return torch.tensor(lab), [len(cols), len(shapes), 3, 2, len(pos), len(dirs)]


# Dihedral augmentation of still images (flip left-right, flip up-down, transpose): the labels that
# depend on orientation (position) are remapped, so every picture gives 8 correctly labelled views.
POS_T = {'left': 'top', 'top': 'left', 'right': 'bottom', 'bottom': 'right', 'center': 'center'}
POS_H = {'left': 'right', 'right': 'left', 'top': 'top', 'bottom': 'bottom', 'center': 'center'}
POS_V = {'left': 'left', 'right': 'right', 'top': 'bottom', 'bottom': 'top', 'center': 'center'}


def patch_labels(objs):
    """Per-patch targets (16x16 grid of 14 px patches) for token labelling: the shape covering most
    of the patch (4 = background) and whether an object's centre falls in it."""
    from PIL import Image, ImageDraw
    cov = np.zeros((len(objs), 16, 16), np.float32)
    cen = np.zeros(256, np.int64)
    if not objs:  # nothing of the world: all background
        return np.full(256, 4, np.int64), cen
    for j, o in enumerate(objs):
        m = Image.new('L', (224, 224), 0)
        D.draw_objects(ImageDraw.Draw(m), [o], [255])
        cov[j] = (np.asarray(m, np.float32) / 255).reshape(16, 14, 16, 14).mean((1, 3))
        cx, cy = min(223, max(0, int(o[0]))), min(223, max(0, int(o[1])))
        cen[(cy // 14) * 16 + cx // 14] = 1
    lab = np.array([D.SHAPES.index(objs[b][3]) for b in cov.argmax(0).reshape(-1)])
    lab[cov.max(0).reshape(-1) < 0.25] = 4
    return lab, cen


def sincos_2d(n, dim):
    """Fixed 2-D sine-cosine table (MAE-style) used to initialise the learnable patch positions."""
    g = torch.arange(n, dtype=torch.float32)
    yy, xx = torch.meshgrid(g, g, indexing='ij')
    q = dim // 4
    om = 1.0 / (10000 ** (torch.arange(q, dtype=torch.float32) / q))
    ox, oy = xx.reshape(-1, 1) * om, yy.reshape(-1, 1) * om
    return torch.cat([ox.sin(), ox.cos(), oy.sin(), oy.cos()], 1)


def still_forward(ib, x):
    """Vision encoder on still images x (B,3,224,224): a still is two identical frames, so the Conv3d
    stem equals a Conv2d with the kernel summed over time (checked against head_out in stage_clip).
    Returns (head output, patch tokens after the trunk)."""
    pre = ib.modality_preprocessors['vision']
    w = pre.rgbt_stem.proj[1].weight.sum(2)
    t = F.conv2d(x, w, stride=14).flatten(2).transpose(1, 2)
    t = torch.cat([pre.cls_token.expand(t.shape[0], -1, -1), t], dim=1) + pre.pos_embedding_helper.pos_embed
    y = ib.modality_trunks['vision'](t)
    return ib.modality_heads['vision'](y), y[:, 1:]


def norm_stills(imgs, bs=256):
    return torch.cat([P.norm_rgb_uint8(imgs[i:i + bs]).half() for i in range(0, len(imgs), bs)])


# colour, shape, count, size, position, direction: shape, position and direction are the slow ones to
# learn; position and direction also get a regression head (centre / displacement), a smoother signal.
AUX_WEIGHT = [0.5, 3.0, 1.0, 1.0, 1.5, 2.0]
REG_WEIGHT = 2.0


def stage_clip(split, steps=5000, bs_img=48, bs_vid=12, lr0=3e-3, seed=SEED + 1):
    """Vision + text encoders from scratch, CLIP-style (the stand-in for the pretrained OpenCLIP that
    ImageBind keeps frozen): symmetric InfoNCE between image/video embeddings and caption embeddings,
    plus auxiliary attribute heads on the embedding and token labelling on the patch tokens (shape /
    object centre per patch), with dihedral augmentation of the stills. The heads are discarded."""
    steps = steps_(steps)
    seed_all(seed)
    ib = ImageBindTiny(IB_CFG)
    with torch.no_grad():
        pe = ib.modality_preprocessors['vision'].pos_embedding_helper.pos_embed
        pe[0, 1:] = sincos_2d(16, pe.shape[-1])
        pe[0, 0] = 0
    bpe = ClipBpe()
    ispecs, imgs = split['image']
    vspecs, vids = split['video']
    plab, pcen, cent = split['image_patches']
    plab, pcen = torch.from_numpy(plab).view(-1, 16, 16), torch.from_numpy(pcen).view(-1, 16, 16)
    cent, vmove = torch.from_numpy(cent), torch.from_numpy(split['video_motion'])
    X = norm_stills(imgs)
    log('stills normalised', tuple(X.shape))
    with torch.no_grad():  # the fast still path is the real encoder
        ib.eval()
        ref = ib.head_out('vision', vision_input(np.stack([imgs[:2]] * 2, 1)))
        err = (still_forward(ib, X[:2].float())[0] - ref).abs().max().item()
        assert err < 1e-3, f'still fast path differs from head_out by {err}'
        ib.train()
    tok_cache = {}

    def tok(c):
        if c not in tok_cache:
            tok_cache[c] = bpe.tokenize(c)
        return tok_cache[c]
    ilab, sizes = attr_labels(ispecs)
    vlab, _ = attr_labels(vspecs)
    pos_names = list(D.POSITIONS) + ['none']
    aux = torch.nn.ModuleList([torch.nn.Linear(IB_CFG['out_embed_dim'], k) for k in sizes])
    dim = IB_CFG['vision_embed_dim']
    tok_head, cen_head = torch.nn.Linear(dim, 5), torch.nn.Linear(dim, 2)
    reg_head = torch.nn.Linear(IB_CFG['out_embed_dim'], 4)  # (x, y) of a single shape; (dx, dy) of a video's motion
    params = ([p for n_, p in ib.named_parameters() if n_.split('.')[1] in ('vision', 'text')] + list(aux.parameters())
              + list(tok_head.parameters()) + list(cen_head.parameters()) + list(reg_head.parameters()))
    opt = torch.optim.AdamW(params, lr=lr0, weight_decay=0.05)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        lr = lr0 * min(1.0, (step + 1) / 30) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for pg in opt.param_groups:
            pg['lr'] = lr
        ii = torch.randint(0, len(ispecs), (bs_img,), generator=g)
        vi = torch.randint(0, len(vspecs), (bs_vid,), generator=g)
        x, pl, pc, cc = X[ii].float(), plab[ii], pcen[ii], cent[ii].clone()
        lab = torch.cat([ilab[ii], vlab[vi]]).clone()
        specs = [dict(ispecs[i]) for i in ii.tolist()]
        tp, hf, vf = torch.randint(0, 2, (3,), generator=g).tolist()
        for flag, dims, pmap in ((tp, None, POS_T), (hf, (3, 2), POS_H), (vf, (2, 1), POS_V)):
            if not flag:
                continue
            if dims is None:
                x, pl, pc, cc = x.transpose(2, 3), pl.transpose(1, 2), pc.transpose(1, 2), cc.flip(1)
            else:
                x, pl, pc = x.flip(dims[0]), pl.flip(dims[1]), pc.flip(dims[1])
                cc[:, 0 if dims[0] == 3 else 1] *= -1
            for sp_ in specs:
                if 'position' in sp_:
                    sp_['position'] = pmap[sp_['position']]
        lab[:bs_img, 4] = torch.tensor([-100 if sp_['mod'] == 'unknown' else pos_names.index(sp_.get('position', 'none'))
                                        for sp_ in specs])
        e_img, ptok = still_forward(ib, x.contiguous())
        e_vid = ib.head_out('vision', vision_input(vids[vi.numpy()]))
        e = F.normalize(torch.cat([e_img, e_vid]), dim=-1)
        caps = [D.caption(sp_) for sp_ in specs] + [D.caption(vspecs[i]) for i in vi.tolist()]
        e_txt = F.normalize(ib.head_out('text', torch.tensor([tok(c) for c in caps])), dim=-1)
        scale = ib.modality_postprocessors['text'][1].log_logit_scale.exp().clamp(max=100)
        logits = scale * e @ e_txt.t()
        cid = {c: k for k, c in enumerate(sorted(set(caps)))}
        ci = torch.tensor([cid[c] for c in caps])
        same = (ci[:, None] == ci[None, :]).float()
        tgt = same / same.sum(1, keepdim=True)
        loss_c = 0.5 * (-(tgt * logits.log_softmax(1)).sum(1).mean() - (tgt * logits.t().log_softmax(1)).sum(1).mean())
        loss_a = sum(AUX_WEIGHT[j] * F.cross_entropy(h(e * 8), lab[:, j]) for j, h in enumerate(aux))
        loss_t = F.cross_entropy(tok_head(ptok).reshape(-1, 5), pl.reshape(-1)) + F.cross_entropy(cen_head(ptok).reshape(-1, 2), pc.reshape(-1))
        reg = reg_head(e * 8)
        have = ~torch.isnan(cc[:, 0])
        loss_r = (F.mse_loss(reg[:bs_img][have, :2], cc[have]) if have.any() else reg.sum() * 0) \
            + F.mse_loss(reg[bs_img:, 2:], vmove[vi])
        loss = loss_c + loss_a + loss_t + REG_WEIGHT * loss_r
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            acc = [(h(e * 8).argmax(1) == lab[:, j]).float().mean().item() for j, h in enumerate(aux)]
            log(f'clip step {step} loss {loss_c.item():.3f} aux {loss_a.item():.3f} tok {loss_t.item():.3f} reg {loss_r.item():.3f} '
                f'scale {scale.item():.1f} acc (colour shape count size pos dir)', np.round(acc, 2))
    return ib


# ============================================================== stage: bind

@torch.no_grad()
def embed_vision(ib, px, bs=128):
    ib.eval()
    out = []
    for i in range(0, len(px), bs):
        out.append(F.normalize(ib.head_out('vision', vision_input(px[i:i + bs])), dim=-1))
    return torch.cat(out)


def stage_bind(ib, split, mods, steps=None, bs=32, px=None):
    steps = steps or {k: steps_(v) for k, v in dict(audio=2500, thermal=1000, depth=1000, imu=1000).items()}
    for mod in mods:
        rng = np.random.default_rng(SEED + 2 + MOD_INDEX[mod])
        seed_all(SEED + 3 + len(mod))
        specs, arr, part = split[mod]
        if px is None:
            px = partner_pixels(mod, part, rng)
        target = embed_vision(ib, px)  # frozen anchor (image) embeddings
        def key(p):  # partners of the same class are not negatives of each other (colour is random)
            if mod == 'imu':
                return p['direction']
            spec = p[0] if mod in ('thermal', 'depth') else p
            return json.dumps({k: v for k, v in spec.items() if k != 'colour'}, sort_keys=True)
        # audio: the sound's own class (a partner's random colour or position says nothing about it)
        keys = [json.dumps(s_, sort_keys=True) for s_ in specs] if mod == 'audio' else [key(p) for p in part]
        uk = sorted(set(keys))
        kid = torch.tensor([uk.index(k) for k in keys])
        params = [p for n_, p in ib.named_parameters() if n_.split('.')[1] == mod]
        opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.05)
        g = torch.Generator().manual_seed(SEED)
        ib.train()
        S = steps[mod]
        for step in range(S):
            for pg in opt.param_groups:
                pg['lr'] = 2e-3 * min(1.0, (step + 1) / 15) * 0.5 * (1 + math.cos(math.pi * step / S))
            idx = torch.randint(0, len(specs), (bs,), generator=g)
            x = mod_input(mod, arr[idx.numpy()] if mod != 'audio' else arr[idx])
            e = F.normalize(ib.head_out(mod, x), dim=-1)
            t = target[idx]
            logits = 20.0 * e @ t.t()  # InfoNCE against the image anchors, tau = 0.05
            same = (kid[idx][:, None] == kid[idx][None, :]).float()
            tgt = same / same.sum(1, keepdim=True)
            loss = 0.5 * (-(tgt * logits.log_softmax(1)).sum(1).mean() - (tgt * logits.t().log_softmax(1)).sum(1).mean())
            loss = loss + (1 - (e * t).sum(1)).mean()  # also pull each item onto its own anchor
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 25 == 0 or step == S - 1:
                log(f'bind {mod} step {step} loss {loss.item():.3f} cos {(e * t).sum(1).mean().item():.3f}')
        ib.eval()
    return ib


# ============================================================== text sequences

def conv_ids(sp, q, a, q2=None, a2=None):
    """Token pieces after the media slot, tokenized separately as PandaGPT's build_one_instance does.
    Returns (ids, loss_mask) for `"</Img> q\n### Assistant:" + "a\n###" [+ "Human: q2\n### Assistant:" + "a2\n###"]`."""
    ids, mask = [], []
    for text, train in (('</Img> ' + q + '\n### Assistant:', False), (a + '\n###', True)):
        t = sp.encode(text)
        ids += t
        mask += [train] * len(t)
    if q2:
        for text, train in (('Human: ' + q2 + '\n### Assistant:', False), (a2 + '\n###', True)):
            t = sp.encode(text)
            ids += t
            mask += [train] * len(t)
    return ids, mask


def random_spec(rng, mod):
    return {'image': D.image_spec, 'video': lambda r: D.video_spec(r, direction=None if r.random() > 0.1 else 'none'),
            'audio': D.audio_spec, 'thermal': D.thermal_spec, 'depth': D.depth_spec, 'imu': D.imu_spec}[mod](rng)


def qa_pair(spec, rng, sp):
    qt, q, a, _ = D.ask(spec, rng)
    if rng.random() < 0.25:
        qt2, q2, a2, _ = D.ask(spec, rng)
        return conv_ids(sp, q, a, q2, a2)
    return conv_ids(sp, q, a)


def both_pair(img, aud, rng, sp):
    q = rng.choice(D.Q['both'])
    a, _ = D.both_answer(img, aud)
    return conv_ids(sp, q, a)


def used_vocab(sp):
    """Every token id the world's texts can produce (templates enumerated over many random specs)."""
    rng = np.random.default_rng(7)
    used = set(PROMPT_START) | {1, 2, 13, 2277, 29937}
    texts = set()
    for qs in D.Q.values():
        texts.update(qs)
    for _ in range(4000):
        for mod in N:
            s = random_spec(rng, mod)
            texts.add(D.caption(s))
            for qt in D.qtypes(s):
                texts.add(D.answer(s, qt, rng)[0])
        texts.add(D.both_answer(random_spec(rng, 'image'), random_spec(rng, 'audio'))[0])
    texts.update([D.UNKNOWN_ANSWER, D.caption(D.unknown_spec('image'))] + sum(D.Q_UNKNOWN.values(), []))
    for t in texts:
        for v in (t, '</Img> ' + t + '\n### Assistant:', t + '\n###', 'Human: ' + t + '\n### Assistant:'):
            used.update(sp.encode(v))
    return sorted(used)


# ============================================================== stage: lm

def pad_batch(seqs, masks):
    L = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    m = torch.zeros(len(seqs), L, dtype=torch.bool)
    for i, (s, mm) in enumerate(zip(seqs, masks)):
        ids[i, :len(s)] = torch.tensor(s)
        m[i, :len(s)] = torch.tensor(mm)
    return ids, m


def lm_loss(llm, embeds, targets, tmask, used_map, used_t, n_unused):
    """Next-token loss on positions where tmask is true; full 32001-way softmax (see LlamaTiny)."""
    h = llm.hidden(embeds)
    logits = llm.logits_used(h[:, :-1], used_t, n_unused)
    tgt = used_map[targets[:, 1:]]
    m = tmask[:, 1:]
    assert bool((tgt[m] >= 0).all()), 'a training token is missing from the used vocabulary'
    return F.cross_entropy(logits[m], tgt[m])


def stage_lm(sp, used, steps=3000, bs=32):
    steps = steps_(steps)
    """Text-only LM: BOS "### Human: <Img>" <caption as text> "</Img> q\n### Assistant:" "a\n###"."""
    seed_all(SEED + 10)
    llm = LlamaTiny(LLM_CFG, LORA_R, LORA_ALPHA)
    used_t = torch.tensor(used)
    used_map = torch.full((32001,), -1, dtype=torch.long)
    used_map[used_t] = torch.arange(len(used))
    n_unused = 32001 - len(used)
    rng = np.random.default_rng(SEED + 11)
    base = [p for n_, p in llm.named_parameters() if 'lora' not in n_]
    opt = torch.optim.AdamW(base, lr=3e-3, weight_decay=0.01, betas=(0.9, 0.98))
    mods = list(N)
    for step in range(steps):
        for pg in opt.param_groups:
            pg['lr'] = 3e-3 * min(1.0, (step + 1) / 30) * 0.5 * (1 + math.cos(math.pi * step / steps))
        seqs, masks = [], []
        for _ in range(bs):
            if rng.random() < 0.06:
                img, aud = random_spec(rng, 'image'), random_spec(rng, 'audio')
                desc = D.caption(img) + ' and ' + D.caption(aud)
                ids, m = both_pair(img, aud, rng, sp)
            else:
                s = random_spec(rng, rng.choice(mods)) if rng.random() > 0.05 else D.unknown_spec(rng.choice(['image', 'audio']))
                desc = D.caption(s)
                ids, m = qa_pair(s, rng, sp)
            d = sp.encode(desc)
            seqs.append([1] + PROMPT_START + d + ids)
            # the LM learns the whole text, answers weighted like everything else
            masks.append([True] * (1 + len(PROMPT_START) + len(d) + len(ids)))
        ids, m = pad_batch(seqs, masks)
        loss = lm_loss(llm, llm.embed_tokens(ids), ids, m, used_map, used_t, n_unused)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(base, 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            log(f'lm step {step} loss {loss.item():.3f}')
    # unused vocabulary: embeddings stay small random, lm_head rows exactly zero (never selected)
    return llm


# ============================================================== stage: align (llama_proj + LoRA)

@torch.no_grad()
def embed_train_media(ib, split, bs=64):
    """PandaGPT-style media embeddings of the training split (frozen ImageBind)."""
    ib.eval()
    E = {}
    _, imgs = split['image']
    if len(imgs):
        E['image'] = torch.cat([ib.panda_embed('vision', vision_input(np.stack([imgs[i:i + bs]] * 2, 1)))
                                for i in range(0, len(imgs), bs)])
    _, vids = split['video']
    if len(vids):
        E['video'] = torch.cat([ib.panda_embed('vision', vision_input(vids[i:i + bs])) for i in range(0, len(vids), bs)])
    for mod in ('audio', 'thermal', 'depth', 'imu'):
        arr = split[mod][1]
        if not len(arr):
            continue
        E[mod] = torch.cat([ib.panda_embed(ENC_NAME[mod], mod_input(mod, arr[i:i + bs])) for i in range(0, len(arr), bs)])
    return E


def build_align_batch(llm, proj, sp, split, E, rng, bs, mix):
    """Embedded sequences BOS ++ PROMPT_START ++ media token ++ conversation; loss on the answers."""
    seqs, masks, media = [], [], []
    mods, probs = zip(*mix.items())
    for _ in range(bs):
        mod = rng.choice(mods, p=np.array(probs) / sum(probs))
        if mod == 'both':  # a picture and a sound of the world
            i, j = rng.integers(len(E['image'])), rng.integers(len(E['audio']))
            while split['image'][0][i]['mod'] == 'unknown':
                i = rng.integers(len(E['image']))
            while split['audio'][0][j]['mod'] == 'unknown':
                j = rng.integers(len(E['audio']))
            ids, m = both_pair(split['image'][0][i], split['audio'][0][j], rng, sp)
            media.append([E['image'][i], E['audio'][j]])
        else:
            i = rng.integers(len(E[mod]))
            ids, m = qa_pair(split[mod][0][i], rng, sp)
            media.append([E[mod][i]])
        seqs.append(ids)
        masks.append(m)
    ids, m = pad_batch(seqs, masks)
    pre = llm.embed_tokens(torch.tensor([[1] + PROMPT_START] * bs))
    tok = torch.stack([sum(proj(e) for e in ms) for ms in media])[:, None]  # sum after projection (bias n times)
    emb = torch.cat([pre, tok, llm.embed_tokens(ids)], dim=1)
    P0 = pre.shape[1] + 1
    full_ids = torch.cat([torch.zeros(bs, P0, dtype=torch.long), ids], dim=1)
    full_m = torch.cat([torch.zeros(bs, P0, dtype=torch.bool), m], dim=1)
    return emb, full_ids, full_m


def stage_align(llm, proj, sp, used, split, E, mix, steps, bs=32, lr=3e-3, tag='align'):
    seed_all(SEED + 20 + len(tag))
    steps = steps_(steps)
    used_t = torch.tensor(used)
    used_map = torch.full((32001,), -1, dtype=torch.long)
    used_map[used_t] = torch.arange(len(used))
    n_unused = 32001 - len(used)
    llm.set_lora(True)
    for n_, p in llm.named_parameters():
        p.requires_grad = 'lora' in n_
    params = [p for n_, p in llm.named_parameters() if 'lora' in n_] + list(proj.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(SEED + 21 + len(tag))
    for step in range(steps):
        for pg in opt.param_groups:
            pg['lr'] = lr * min(1.0, (step + 1) / 20) * 0.5 * (1 + math.cos(math.pi * step / steps))
        emb, ids, m = build_align_batch(llm, proj, sp, split, E, rng, bs, mix)
        loss = lm_loss(llm, emb, ids, m, used_map, used_t, n_unused)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            log(f'{tag} step {step} loss {loss.item():.3f}')
    for p in llm.parameters():
        p.requires_grad = True
    return llm, proj


# ============================================================== main

def save_state(name, obj):
    os.makedirs(BUILD, exist_ok=True)
    torch.save(obj, os.path.join(BUILD, name))
    return os.path.join(BUILD, name)


def load_state(name):
    return torch.load(os.path.join(BUILD, name), map_location='cpu')


MIX_IMAGE = {'image': 1.0}
MIX_FINAL = {'image': 0.28, 'video': 0.13, 'audio': 0.22, 'thermal': 0.08, 'depth': 0.08, 'imu': 0.08, 'both': 0.13}


def run_parallel(groups, threads):
    """Runs stage groups as parallel child processes (the machine is shared; two single-thread
    processes get more done than one two-thread process under contention)."""
    import subprocess
    procs = []
    for g in groups:
        cmd = [sys.executable, os.path.abspath(__file__), '--threads', str(threads)]
        for st in g:
            cmd += ['--stage', st]
        procs.append(subprocess.Popen(cmd))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f'stage group failed: {groups} -> {codes}')


def wait_for(name):
    """Blocks until another stage process has written BUILD/name (written atomically)."""
    path = os.path.join(BUILD, name)
    while not os.path.exists(path):
        time.sleep(3)


def save_atomic(name, obj):
    save_state(name + '.tmp', obj)
    os.replace(os.path.join(BUILD, name + '.tmp'), os.path.join(BUILD, name))


def run_stage(st, sp):
    if st == 'clip':  # vision + text, then the training images/videos through the frozen vision encoder
        split = gen_split(SEED, N, ['image', 'video'])
        ib = stage_clip(split)
        save_state('E_vision.pt', {'E': embed_train_media(ib, split), 'specs': {m: split[m][0] for m in ('image', 'video')}})
        save_atomic('ib_clip.pt', ib.state_dict())
    elif st.startswith('bind-'):  # generates its data (while the vision encoder may still train), then binds to it
        mod = st[5:]
        split = gen_split(SEED, N, [mod])
        px = partner_pixels(mod, split[mod][2], np.random.default_rng(SEED + 2 + MOD_INDEX[mod]))
        wait_for('ib_clip.pt')
        ib = ImageBindTiny(IB_CFG)
        ib.load_state_dict(load_state('ib_clip.pt'))
        ib = stage_bind(ib, split, [mod], px=px)
        save_state(f'E_{mod}.pt', {'E': embed_train_media(ib, split), 'specs': {mod: split[mod][0]}})
        save_atomic(f'ib_{mod}.pt', {k: v for k, v in ib.state_dict().items() if k.split('.')[1] == mod})
    elif st == 'merge':
        for mod in ('audio', 'thermal', 'depth', 'imu'):
            wait_for(f'ib_{mod}.pt')
        sd = load_state('ib_clip.pt')
        E, specs = {}, {}
        for mod in ('audio', 'thermal', 'depth', 'imu'):
            sd.update(load_state(f'ib_{mod}.pt'))
        for part in ('vision', 'audio', 'thermal', 'depth', 'imu'):
            e = load_state(f'E_{part}.pt')
            E.update(e['E'])
            specs.update(e['specs'])
        save_state('ib_bound.pt', sd)
        save_atomic('embeds.pt', {'E': E, 'specs': specs})
    elif st == 'lm':
        llm = stage_lm(sp, used_vocab(sp))
        save_atomic('llm_base.pt', llm.state_dict())
    elif st in ALIGN:
        mix, steps, out = ALIGN[st]
        wait_for('llm_base.pt')
        # the image-only stage needs only the vision embeddings, so it can start before binding ends
        emb_file = 'E_vision.pt' if st == 'align-image' else 'embeds.pt'
        wait_for('ib_clip.pt' if st == 'align-image' else 'embeds.pt')
        emb = load_state(emb_file)
        split_like = {m: (sp_,) for m, sp_ in emb['specs'].items()}
        llm = LlamaTiny(LLM_CFG, LORA_R, LORA_ALPHA)
        llm.load_state_dict(load_state('llm_base.pt'))
        seed_all(SEED + 30)
        proj = torch.nn.Linear(IB_CFG['out_embed_dim'], LLM_CFG['hidden_size'])
        llm, proj = stage_align(llm, proj, sp, used_vocab(sp), split_like, emb['E'], mix, steps=steps, tag=st)
        save_atomic(out, {'llm': llm.state_dict(), 'proj': proj.state_dict()})
    elif st == 'export':
        import export as X
        X.export_all(load_state('ib_bound.pt'), load_state('llm_base.pt'), load_state('delta_zeroshot.pt'),
                     load_state('delta_final.pt'), IB_CFG, LLM_CFG, LORA_R, LORA_ALPHA)
    elif st == 'eval':
        import evaluate as EV
        EV.main_eval()
    elif st == 'samples':
        import evaluate as EV
        EV.make_samples()
    else:
        raise SystemExit(f'unknown stage {st}')
    log(st, 'done')


ALIGN = {'align-image': (MIX_IMAGE, 3000, 'delta_zeroshot.pt'), 'align-all': (MIX_FINAL, 5000, 'delta_final.pt')}
# --all on 2 cores: two single-threaded processes, each running its stages in order; a stage that
# needs another process's output waits for its file. Measured on the idle 2-core machine: see README.
SCHEDULE = [['clip', 'bind-thermal', 'bind-imu', 'align-image'],
            ['lm', 'bind-audio', 'bind-depth', 'merge', 'align-all']]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--all', action='store_true', help='everything from scratch')
    ap.add_argument('--stage', action='append', default=[],
                    help='clip | bind-{audio,thermal,depth,imu} | lm | merge | align-image | align-all | export | eval | samples'
                         ' (several run in the given order)')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.all:
        t = time.time()
        import shutil
        shutil.rmtree(BUILD, ignore_errors=True)  # stale intermediate files would release waiting stages early
        run_parallel(SCHEDULE, args.threads)
        t1 = time.time()
        log(f'encoders + lm + align: {t1 - t:.0f}s')
        for d in ('testset', 'wildset'):  # rebuilt from the current generators
            shutil.rmtree(os.path.join(OUT, d), ignore_errors=True)
        run_parallel([['export', 'eval', 'samples']], args.threads)
        log(f'export + eval + samples: {time.time() - t1:.0f}s; total {time.time() - t:.0f}s')
        return
    sp = tokenizer()
    for st in args.stage:
        run_stage(st, sp)


if __name__ == '__main__':
    main()
