"""The "wild" held-out test set: media a user might bring, from a generator that shares NO rendering
code with the training world (data.py). Only the world's vocabulary is shared: colour names and
their RGB values, shape names, question templates and the reference answers / required words
(`D.answer`, `D.both_answer`, `D.sound_key`, `D.qtypes`), so every key means what it means in the
world.

  python3 training/wild.py OUT_DIR        # writes OUT_DIR/*.{png,jpg,mp4,wav,csv} + OUT_DIR/wildset.json

`build_wildset(out_dir, seed=2468, n=None)` does the same; `wildset.json` has testset.json's schema
({seed, note, items: [{id, modality, files, spec, questions: [{type, question, reference_answer, key,
(image_key, audio_key)}]}]}), plus a `render` dict per item saying how it was made (background kind,
canvas, format, ...), for analysing misses.

What differs from the world (on purpose):
  image   : any canvas 160-1200 px (either orientation), white / light / tinted / dark / gradient /
            radial / noise / 1/f texture / blurred blobs / stripes backgrounds, shapes 10-95 % of the
            short side (several: 10-35 % each), any rotation, filled or outlined, clipped by the
            frame edge (<= 30 %), blur, JPEG 30-95 or PNG. Shapes stay inside the central square
            (ImageBind resizes the short side to 224 and centre-crops). Colours: the world's RGB +-25.
            Position is asked only where the (visible) centre is clearly in one region.
  video   : H.264 MP4, 1-4 s, 8-30 fps, 240-640 px, varied backgrounds, straight motion.
  audio   : tones / chirps / beeps at 8-48 kHz, mono or stereo, 0.3-10 s, peak 0.05-1, white / pink /
            mains-hum noise at 10-30 dB SNR.
  thermal : grey hot shapes on cool textured backgrounds, any size; depth: tilted walls 3.5-6 m,
            floors, noise, missing pixels; IMU: amplitude / frequency / orientation / noise spread.
  out of world (question type `unknown`): real photos (scikit-image's data), speech sentences
            (espeak-ng), synthesised music (sox): the model should say it does not know.

Needs ffmpeg, espeak-ng, sox and python3-skimage (it stops if one is missing, so the set never depends on
what is installed). Fixed seed, byte-identical reruns; ~30 s on one core for the full set
(394 items, 1147 questions).
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402  (vocabulary, question templates and answers only)

SEED = 2468
N_WILD = dict(image=120, video=40, audio=80, thermal=30, depth=30, imu=30, both=40, ood_image=12, ood_speech=6,
              ood_music=6)
UNKNOWN_ANSWER = getattr(D, 'UNKNOWN_ANSWER',
                         'I do not know what this is. I only know my small world of shapes, colours and simple sounds.')
UNKNOWN_KEY = [['only know']]
UNKNOWN_Q = {'image': ['What is this?', 'Describe this image.', 'What colour is the shape?', 'What shape do you see?'],
             'audio': ['What do you hear?', 'What is this?', 'Describe this sound.', 'Is the pitch high or low?']}
SS = 4  # supersampling factor for shape masks
RATES = [8000, 11025, 16000, 22050, 32000, 44100, 48000]
REGIONS = ['center', 'left', 'right', 'top', 'bottom']
MIN_CONTRAST = 80.0  # mean per-pixel Euclidean RGB distance between a shape's colour and the background around it


# ================================================================== geometry (own drawing, 4x supersampled)

def shape_points(shape, cx, cy, R, rot, inner):
    """Vertices of a regular polygon / star with circumradius R (pixels), rotated by rot (radians)."""
    if shape == 'square':
        ang = rot + np.pi / 4 + np.arange(4) * np.pi / 2
        rr = np.full(4, R)
    elif shape == 'triangle':  # equilateral, centred on its centroid
        ang = rot - np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        rr = np.full(3, R)
    elif shape == 'star':  # five points
        ang = rot - np.pi / 2 + np.arange(10) * np.pi / 5
        rr = np.where(np.arange(10) % 2 == 0, R, R * inner)
    else:
        raise ValueError(shape)
    return [(cx + r * np.cos(a), cy + r * np.sin(a)) for r, a in zip(rr, ang)]


def shape_alpha(obj):
    """(x0, y0, alpha) : coverage of the shape in [0,1] on the pixel grid, in a box around it (may extend
    beyond any canvas; the caller clips). obj: dict cx, cy, R (px), shape, rot, inner, outline (px or 0)."""
    cx, cy, R = obj['cx'], obj['cy'], obj['R']
    x0, y0 = int(np.floor(cx - R)) - 2, int(np.floor(cy - R)) - 2
    x1, y1 = int(np.ceil(cx + R)) + 2, int(np.ceil(cy + R)) + 2
    bw, bh = x1 - x0, y1 - y0
    im = Image.new('L', (bw * SS, bh * SS), 0)
    dr = ImageDraw.Draw(im)
    w = int(round(obj.get('outline', 0) * SS))
    kw = dict(fill=None, outline=255, width=max(w, 1)) if w > 0 else dict(fill=255)
    if obj['shape'] == 'circle':
        dr.ellipse([(cx - R - x0) * SS, (cy - R - y0) * SS, (cx + R - x0) * SS, (cy + R - y0) * SS], **kw)
    else:
        pts = shape_points(obj['shape'], (cx - x0) * SS, (cy - y0) * SS, R * SS, obj['rot'], obj.get('inner', 0.42))
        dr.polygon(pts, **kw)
    a = np.asarray(im.resize((bw, bh), Image.BOX), np.float32) / 255.0
    return x0, y0, a


def _clip_box(x0, y0, a, W, H):
    """Intersect a box-local array with [0,W)x[0,H): (canvas slices, local slices) or None."""
    h, w = a.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
    if cx0 >= cx1 or cy0 >= cy1:
        return None
    return (slice(cy0, cy1), slice(cx0, cx1)), (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))


def _sum_in(x0, y0, a, rx0, ry0, rx1, ry1):
    """Sum of a box-local alpha inside the rectangle [rx0,rx1)x[ry0,ry1) (canvas pixels)."""
    h, w = a.shape
    X0, Y0, X1, Y1 = max(x0, rx0), max(y0, ry0), min(x0 + w, rx1), min(y0 + h, ry1)
    if X0 >= X1 or Y0 >= Y1:
        return 0.0, None
    sub = a[Y0 - y0:Y1 - y0, X0 - x0:X1 - x0]
    return float(sub.sum()), (X0, Y0, sub)


class Frame:
    """A canvas W x H whose central square (side S = short side) is what ImageBind sees after resize
    + centre crop. Shapes must stay inside that square; only the real canvas edges may clip them."""

    def __init__(self, W, H):
        self.W, self.H = W, H
        self.S = min(W, H)
        self.sx0, self.sy0 = (W - self.S) / 2, (H - self.S) / 2
        # the crop is computed after an integer resize: keep a ~1 % margin on the sides that are not canvas edges
        m = int(np.ceil(0.012 * self.S)) + 1
        self.allowed = (int(np.ceil(self.sx0 + (m if W > H else 0))), int(np.ceil(self.sy0 + (m if H > W else 0))),
                        int(np.floor(self.sx0 + self.S - (m if W > H else 0))),
                        int(np.floor(self.sy0 + self.S - (m if H > W else 0))))

    def obj(self, shape, u, v, size, rot, inner, outline_frac=0.0):
        """A shape at square-relative centre (u, v) in [0,1], size = circumscribed diameter / S."""
        R = size * self.S / 2
        o = {'shape': shape, 'cx': self.sx0 + u * self.S, 'cy': self.sy0 + v * self.S, 'R': R, 'rot': rot, 'inner': inner,
             'u': u, 'v': v, 'size': size}
        if outline_frac:
            o['outline'] = max(2.0, outline_frac * 2 * R)
        return o

    def check(self, o, max_cut=0.3):
        """Compute the mask and check placement: >= (1 - max_cut) of the shape visible inside the
        square, nothing drawn on the extended background beside it. Adds the visible centroid."""
        x0, y0, a = shape_alpha(o)
        full = float(a.sum())
        if full <= 0:
            return False
        ins, sub = _sum_in(x0, y0, a, *self.allowed)
        on_canvas, _ = _sum_in(x0, y0, a, 0, 0, self.W, self.H)
        if ins / full < 1 - max_cut or (on_canvas - ins) / full > 0.003:
            return False
        X0, Y0, s = sub
        yy, xx = np.mgrid[0:s.shape[0], 0:s.shape[1]]
        o['vis_u'] = (float((s * (xx + X0 + 0.5)).sum() / ins) - self.sx0) / self.S
        o['vis_v'] = (float((s * (yy + Y0 + 0.5)).sum() / ins) - self.sy0) / self.S
        o['visible'] = ins / full
        o['_mask'] = (x0, y0, a)
        return True


def region_of(du, dv):
    """The world's position word for a centre offset (fractions of S), or None when ambiguous."""
    if abs(du) < 0.1 and abs(dv) < 0.1:
        return 'center'
    if abs(du) > 0.22 and abs(dv) < 0.1:
        return 'left' if du < 0 else 'right'
    if abs(dv) > 0.22 and abs(du) < 0.1:
        return 'top' if dv < 0 else 'bottom'
    return None


def _no_overlap(objs, o, gap):
    return all(np.hypot(o['cx'] - p['cx'], o['cy'] - p['cy']) > o['R'] + p['R'] + gap for p in objs)


def place_shapes(fr, rng, shape, count, region=None, outline_frac=0.0, single_range=(0.10, 0.95),
                 multi_range=(0.10, 0.35)):
    """Objects for `count` shapes of one kind in frame `fr` (None if no placement found).
    region: put a single shape deliberately in that position region."""
    inner = rng.uniform(0.38, 0.5)
    for _ in range(60):
        objs = []
        if count == 1:
            lo, hi = single_range
            if region is None:
                size = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
            elif region == 'center':
                size = rng.uniform(lo, hi)
            else:
                size = rng.uniform(lo, min(hi, 0.55))
            for _ in range(40):
                if region is None:
                    u, v = rng.uniform(size * 0.25, 1 - size * 0.25, 2)
                elif region == 'center':
                    u, v = 0.5 + rng.uniform(-0.07, 0.07, 2)
                else:
                    off = rng.uniform(0.25, 0.42) * (-1 if region in ('left', 'top') else 1)
                    side = rng.uniform(-0.07, 0.07)
                    u, v = (0.5 + off, 0.5 + side) if region in ('left', 'right') else (0.5 + side, 0.5 + off)
                o = fr.obj(shape, u, v, size, rng.uniform(0, 2 * np.pi), inner, outline_frac)
                if not fr.check(o):
                    continue
                if region is not None and region_of(o['vis_u'] - 0.5, o['vis_v'] - 0.5) != region:
                    continue
                return [o]
            continue
        lo, hi = multi_range
        tries = 0
        while len(objs) < count and tries < 300:
            tries += 1
            size = rng.uniform(lo, hi)
            u, v = rng.uniform(size * 0.3, 1 - size * 0.3, 2)
            o = fr.obj(shape, u, v, size, rng.uniform(0, 2 * np.pi), inner, outline_frac)
            if _no_overlap(objs, o, 0.03 * fr.S) and fr.check(o):
                objs.append(o)
        if len(objs) == count:
            return objs
    return None


# ================================================================== backgrounds (own generators)

def _muted(rng, lo=0, hi=255, tint=35):
    return np.clip(rng.uniform(lo, hi) + rng.uniform(-tint, tint, 3), 0, 255)


def _pink_field(rng, h, w, beta=None):
    """1/f^beta noise in [0,1] at (h, w) (generated small, upsampled)."""
    sh, sw = max(8, min(h, 192)), max(8, min(w, 192))
    beta = rng.uniform(1.0, 2.2) if beta is None else beta
    fy = np.fft.fftfreq(sh)[:, None]
    fx = np.fft.rfftfreq(sw)[None, :]
    f = np.sqrt(fx ** 2 + fy ** 2)
    f[0, 0] = 1.0
    spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** (beta / 2)
    spec[0, 0] = 0
    x = np.fft.irfft2(spec, s=(sh, sw))
    x = (x - x.min()) / (x.max() - x.min() + 1e-9)
    return np.asarray(Image.fromarray((x * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), np.float32) / 255.0


def _coords(h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return xx / max(w - 1, 1), yy / max(h - 1, 1)


BG_KINDS = ['white', 'light', 'dark', 'linear', 'radial', 'noise', 'texture', 'blobs', 'stripes']


def background_rgb(rng, W, H, kind=None):
    """(H, W, 3) float32 0..255 and its kind."""
    kind = kind or str(rng.choice(BG_KINDS))
    xx, yy = _coords(H, W)
    if kind == 'white':
        bg = np.broadcast_to(np.clip(rng.uniform(238, 256) + rng.uniform(-5, 5, 3), 0, 255), (H, W, 3)).astype(np.float32)
    elif kind == 'light':
        bg = np.broadcast_to(_muted(rng, 150, 235, 25), (H, W, 3)).astype(np.float32)
    elif kind == 'dark':
        bg = np.broadcast_to(_muted(rng, 0, 70, 15), (H, W, 3)).astype(np.float32)
    elif kind in ('linear', 'radial'):
        c1, c2 = _muted(rng), _muted(rng)
        if kind == 'linear':
            a = rng.uniform(0, 2 * np.pi)
            t = np.cos(a) * xx * W / max(W, H) + np.sin(a) * yy * H / max(W, H)
        else:
            px, py = rng.uniform(0, 1, 2)
            t = np.hypot((xx - px) * W, (yy - py) * H) / (rng.uniform(0.5, 1.3) * max(W, H))
        t = (t - t.min()) / (t.max() - t.min() + 1e-9)
        bg = c1 + t[..., None] * (c2 - c1)
    elif kind == 'noise':
        base = _muted(rng)
        sd = rng.uniform(8, 35)
        if rng.random() < 0.5:
            bg = base + rng.normal(0, sd, (H, W, 1))
        else:
            bg = base + rng.normal(0, sd, (H, W, 3))
    elif kind == 'texture':  # photo-like 1/f texture, mapped between two colours (sometimes per channel)
        c1, c2 = _muted(rng), _muted(rng)
        if rng.random() < 0.7:
            t = _pink_field(rng, H, W)[..., None]
        else:
            t = np.stack([_pink_field(rng, H, W) for _ in range(3)], -1)
        bg = c1 + t * (c2 - c1)
    elif kind == 'blobs':  # blurred coloured ellipses, like an out-of-focus scene
        sw, sh = max(16, W // 4), max(16, H // 4)
        im = Image.new('RGB', (sw, sh), tuple(int(v) for v in _muted(rng)))
        dr = ImageDraw.Draw(im)
        for _ in range(int(rng.integers(5, 20))):
            cx, cy = rng.uniform(0, sw), rng.uniform(0, sh)
            rx, ry = rng.uniform(0.05, 0.35) * sw, rng.uniform(0.05, 0.35) * sh
            dr.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=tuple(int(v) for v in _muted(rng, tint=45)))
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(2, 8) * min(sw, sh) / 64))
        bg = np.asarray(im.resize((W, H), Image.BICUBIC), np.float32)
    elif kind == 'stripes':
        c1 = _muted(rng)
        c2 = np.clip(c1 + rng.uniform(-90, 90, 1) + rng.uniform(-20, 20, 3), 0, 255)
        a = rng.uniform(0, np.pi)
        f = rng.uniform(3, 20)
        ph = (np.cos(a) * xx * W + np.sin(a) * yy * H) / max(W, H) * f * 2 * np.pi
        s = np.sin(ph)
        t = (s > 0).astype(np.float32) if rng.random() < 0.5 else (s + 1) / 2
        bg = c1 + t[..., None] * (c2 - c1)
    else:
        raise ValueError(kind)
    return np.clip(bg, 0, 255).astype(np.float32), kind


def jitter_colour(rng, name):
    """The world's RGB, each channel +-25; white and yellow move their channels together (mostly), so a
    white does not turn lavender and a yellow does not turn lime."""
    base = np.array(D.COLOURS[name], np.float32)
    if name == 'white':
        j = rng.integers(-25, 16) + rng.integers(-8, 9, 3)
    elif name == 'yellow':
        c = rng.integers(-17, 18)
        j = np.array([c, c, 0]) + rng.integers(-8, 9, 3) + np.array([0, 0, rng.integers(-17, 18)])
    else:
        j = rng.integers(-25, 26, 3)
    return np.clip(base + j, 0, 255)


def contrast_ok(bg, o, fill, colour_name):
    """Shape colour against the background under / around it (its box, clipped to the canvas)."""
    x0, y0, a = o['_mask']
    H, W = bg.shape[:2]
    cl = _clip_box(x0, y0, a, W, H)
    if cl is None:
        return False
    patch = bg[cl[0]]
    if patch.ndim == 2:  # grey (thermal): difference of levels
        return float(np.abs(fill - patch).mean()) >= MIN_CONTRAST
    if colour_name == 'white' and float(patch.mean()) > 120:  # no white on white / light
        return False
    return float(np.sqrt(((patch - fill) ** 2).sum(-1)).mean()) >= MIN_CONTRAST


def composite(img, o, fill):
    """Alpha-blend a shape of colour `fill` into img (float array, H x W [x 3]) in place."""
    x0, y0, a = o['_mask']
    H, W = img.shape[:2]
    cl = _clip_box(x0, y0, a, W, H)
    if cl is None:
        return
    al = a[cl[1]]
    if img.ndim == 3:
        al = al[..., None]
    img[cl[0]] = img[cl[0]] * (1 - al) + fill * al


def canvas_size(rng, lo, hi, long_max, square_p=0.15, max_aspect=2.0, even=False):
    """(W, H): short side log-uniform in [lo, hi], long side up to long_max, either orientation."""
    S = int(round(np.exp(rng.uniform(np.log(lo), np.log(hi)))))
    if rng.random() < square_p:
        L = S
    else:
        L = max(S, int(min(long_max, round(S * rng.uniform(1.1, max_aspect)))))
    if even:
        S, L = S - S % 2, L - L % 2
    return (L, S) if rng.random() < 0.5 else (S, L)  # (W, H)


def save_image(rng, arr, path_noext, grey=False):
    """JPEG quality 30-95 (65 %) or PNG. Returns the file name."""
    im = Image.fromarray(np.clip(np.round(arr), 0, 255).astype(np.uint8), 'L' if grey else 'RGB')
    # PNG for screenshot-sized canvases only (a 1000-px noisy PNG is 2 MB in the repository)
    if rng.random() < 0.65 or im.size[0] * im.size[1] > 480 * 480:
        q = int(rng.integers(30, 96))
        name = path_noext + '.jpg'
        im.save(name, quality=q)
        return os.path.basename(name), {'format': 'jpeg', 'quality': q}
    name = path_noext + '.png'
    im.save(name)
    return os.path.basename(name), {'format': 'png'}


# ================================================================== image

def make_image(rng, spec, region, path_noext, max_tries=80):
    """Render a wild image for spec (colour, shape, count); returns (spec additions, render info, file)."""
    for attempt in range(max_tries):
        W, H = canvas_size(rng, 160, 1000, 1200)
        fr = Frame(W, H)
        outline = rng.uniform(0.04, 0.10) if rng.random() < 0.25 else 0.0
        objs = place_shapes(fr, rng, spec['shape'], spec['count'], region=region, outline_frac=outline)
        if objs is None:
            continue
        fills = [jitter_colour(rng, spec['colour']) for _ in objs]
        for _ in range(30):
            bg, kind = background_rgb(rng, W, H)
            if all(contrast_ok(bg, o, f, spec['colour']) for o, f in zip(objs, fills)):
                break
        else:
            continue
        img = bg.copy()
        for o, f in zip(objs, fills):
            composite(img, o, f)
        info = {'canvas': [W, H], 'background': kind, 'outline': bool(outline), 'sizes': [round(o['size'], 3) for o in objs],
                'visible': [round(o['visible'], 3) for o in objs], 'attempts': attempt + 1}
        if rng.random() < 0.4:
            sd = rng.uniform(1, 6)
            img = img + rng.normal(0, sd, img.shape)
            info['noise'] = round(float(sd), 2)
        if rng.random() < 0.35:
            r = rng.uniform(0.3, 1.5)
            img = np.asarray(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(r)),
                             np.float32)
            info['blur'] = round(float(r), 2)
        name, fmt = save_image(rng, img, path_noext)
        info.update(fmt)
        extra = {'size': 'big' if float(np.mean([o['size'] for o in objs])) >= 0.27 else 'small'}
        if spec['count'] == 1:
            o = objs[0]
            reg = region_of(o['vis_u'] - 0.5, o['vis_v'] - 0.5)
            info['centre'] = [round(o['vis_u'], 3), round(o['vis_v'], 3)]
            if reg is not None:
                extra['position'] = reg
        return extra, info, name
    raise RuntimeError(f'no wild image found for {spec}')


# ================================================================== video

def write_mp4(path, frames, w, h, fps, crf):
    """H.264 (yuv420p) from an iterable of (h, w, 3) uint8 frames, streamed to ffmpeg (one thread)."""
    p = subprocess.Popen(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{w}x{h}', '-r', str(fps),
                          '-i', '-', '-c:v', 'libx264', '-preset', 'fast', '-threads', '1', '-crf', str(crf),
                          '-pix_fmt', 'yuv420p', '-an', path], stdin=subprocess.PIPE)
    for f in frames:
        p.stdin.write(np.ascontiguousarray(f).tobytes())
    p.stdin.close()
    if p.wait() != 0:
        raise RuntimeError(f'ffmpeg failed for {path}')


def make_video(rng, spec, path):
    d = spec['direction']
    for attempt in range(60):
        W, H = canvas_size(rng, 240, 480, 640, max_aspect=640 / 240, even=True)
        fr = Frame(W, H)
        fps = int(rng.integers(8, 31))
        dur = rng.uniform(1.0, 4.0)
        n = max(2, int(round(dur * fps)))
        dur = n / fps
        # >= 30 % of S per 2 s seen by one clip (the pipeline's clips are 2 s long: first and last frame)
        min_travel = 0.3 / min(dur, 2.0) * dur
        m = 0.03
        size_hi = min(0.40, 1 - 2 * m - min_travel)
        if size_hi < 0.20:
            continue
        size = rng.uniform(0.20, size_hi)
        span = 1 - size - 2 * m  # room for the centre along the motion axis
        travel = rng.uniform(min_travel, span)
        a0 = m + size / 2 + rng.uniform(0, span - travel)
        a1 = a0 + travel
        if d in ('left', 'up'):
            a0, a1 = a1, a0
        perp = rng.uniform(m + size / 2, 1 - m - size / 2)
        rot0 = rng.uniform(0, 2 * np.pi)
        spin = rng.uniform(-0.5, 0.5) if rng.random() < 0.25 else 0.0
        inner = rng.uniform(0.38, 0.5)
        ease = rng.random() < 0.3
        outline = rng.uniform(0.04, 0.10) if rng.random() < 0.2 else 0.0
        fill = jitter_colour(rng, spec['colour'])

        def obj_at(k):
            t = k / (n - 1)
            if ease:
                t = 0.5 - 0.5 * np.cos(np.pi * t)
            a = a0 + (a1 - a0) * t
            u, v = (a, perp) if d in ('left', 'right') else (perp, a)
            return fr.obj(spec['shape'], u, v, size, rot0 + spin * t, inner, outline)

        ends = [obj_at(0), obj_at((n - 1) // 2), obj_at(n - 1)]
        if not all(fr.check(o, max_cut=0.0) for o in ends):
            continue
        for _ in range(30):
            bg, kind = background_rgb(rng, W, H)
            if all(contrast_ok(bg, o, fill, spec['colour']) for o in ends):
                break
        else:
            continue
        noise_sd = rng.uniform(0, 5)
        noises = [rng.normal(0, noise_sd, (H, W, 3)).astype(np.float32) for _ in range(3)] if noise_sd > 0.5 else None

        def frames():
            for k in range(n):
                o = obj_at(k)
                o['_mask'] = shape_alpha(o)
                img = bg.copy() if noises is None else bg + noises[k % 3]
                composite(img, o, fill)
                yield np.clip(np.round(img), 0, 255).astype(np.uint8)

        crf = int(rng.integers(18, 31))
        write_mp4(path, frames(), W, H, fps, crf)
        return {'canvas': [W, H], 'fps': fps, 'frames': n, 'seconds': round(dur, 3), 'background': kind, 'size': round(size, 3),
                'travel': round(travel, 3), 'eased': bool(ease), 'spin': round(float(spin), 3), 'outline': bool(outline),
                'crf': crf, 'attempts': attempt + 1}
    raise RuntimeError(f'no wild video for {spec}')


# ================================================================== audio

def write_wav_any(path, y, sr, channels=1):
    """16-bit PCM WAV at any rate; y (n,) is written to every channel (or (n, ch))."""
    y = np.asarray(y, np.float64)
    if y.ndim == 1:
        y = np.repeat(y[:, None], channels, axis=1)
    pcm = np.clip(np.round(y * 32767), -32768, 32767).astype('<i2')
    with wave.open(path, 'wb') as f:
        f.setnchannels(pcm.shape[1])
        f.setsampwidth(2)
        f.setframerate(int(sr))
        f.writeframes(pcm.tobytes())


def _envelope(L, sr, rng):
    e = np.ones(L)
    a = min(int(rng.uniform(0.003, 0.05) * sr), L // 3)
    r = min(int(rng.uniform(0.005, 0.08) * sr), L // 3)
    if a > 0:
        e[:a] = np.linspace(0, 1, a)
    if r > 0:
        e[-r:] = np.linspace(1, 0, r)
    return e


def _noise(rng, kind, n, sr):
    if kind == 'white':
        return rng.normal(0, 1, n)
    if kind == 'pink':
        spec = np.fft.rfft(rng.normal(0, 1, n))
        f = np.fft.rfftfreq(n, 1 / sr)
        f[0] = f[1] if n > 1 else 1
        x = np.fft.irfft(spec / np.sqrt(f), n)
        return x / (x.std() + 1e-12)
    # mains hum (50 or 60 Hz with odd harmonics) over a weak white floor
    base = rng.choice([50.0, 60.0])
    t = np.arange(n) / sr
    x = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi)) for k in (1, 2, 3, 5))
    x = x + 0.1 * rng.normal(0, 1, n)
    return x / (x.std() + 1e-12)


def make_audio(rng, spec, path):
    sr = int(rng.choice(RATES))
    ch = 2 if rng.random() < 0.4 else 1
    k = spec['kind']
    info = {'rate': sr, 'channels': ch}
    if k == 'tone':
        file_s = float(np.exp(rng.uniform(np.log(0.3), np.log(10.0))))
        cover = rng.uniform(0.8, 1.0)
        L = int(file_s * cover * sr)
        f0 = rng.uniform(*D.PITCH_HZ[spec['pitch']])
        t = np.arange(L) / sr
        vib = rng.uniform(0, 0.006) * np.sin(2 * np.pi * rng.uniform(3, 6) * t) if rng.random() < 0.25 else np.zeros(L)
        ph = 2 * np.pi * f0 * np.cumsum(1 + vib) / sr
        h2 = rng.uniform(0.05, 0.3) if (rng.random() < 0.5 and 2 * f0 < 0.45 * sr) else 0.0
        sig = (np.sin(ph) + h2 * np.sin(2 * ph)) * _envelope(L, sr, rng)
        info.update(f0=round(float(f0), 1), harmonic=round(float(h2), 3))
        segs = [(0, sig)]
    elif k == 'chirp':
        file_s = float(np.exp(rng.uniform(np.log(0.4), np.log(8.0))))
        cover = rng.uniform(0.8, 1.0)
        L = int(file_s * cover * sr)
        lo, hi = rng.uniform(250, 450), rng.uniform(1500, 2400)
        fa, fb = (lo, hi) if spec['direction'] == 'up' else (hi, lo)
        t = np.arange(L) / sr
        T = L / sr
        if rng.random() < 0.5:  # exponential sweep
            ph = 2 * np.pi * fa * T / np.log(fb / fa) * (np.exp(t / T * np.log(fb / fa)) - 1)
            info['sweep'] = 'exponential'
        else:
            ph = 2 * np.pi * (fa * t + (fb - fa) * t ** 2 / (2 * T))
            info['sweep'] = 'linear'
        sig = np.sin(ph) * _envelope(L, sr, rng)
        info.update(f_from=round(float(fa), 1), f_to=round(float(fb), 1))
        segs = [(0, sig)]
    elif k == 'beeps':  # all beeps inside one 2-s clip, covering >= 80 % of the file
        c = spec['count']
        bl = rng.uniform(0.06, 0.2)
        gap = rng.uniform(0.12, 0.45)
        f0 = rng.uniform(500, 1500)
        total = c * bl + (c - 1) * gap
        file_s = max(0.3, total / rng.uniform(0.8, 1.0))
        cover = total / file_s
        Lb = int(bl * sr)
        t = np.arange(Lb) / sr
        beep = np.sin(2 * np.pi * f0 * t) * _envelope(Lb, sr, rng)
        segs = [(int(i * (bl + gap) * sr), beep) for i in range(c)]
        L = segs[-1][0] + Lb
        info.update(f0=round(float(f0), 1), beep_s=round(float(bl), 3), gap_s=round(float(gap), 3))
    else:
        raise ValueError(k)
    n = int(round(file_s * sr))
    s0 = int(rng.uniform(0, max(n - L, 0) + 1))
    y = np.zeros(n)
    for off, s in segs:
        a = s0 + off
        y[a:a + len(s)] += s[:max(0, n - a)]
    active = np.concatenate([s for _, s in segs])
    p_sig = float(np.mean(active ** 2))
    snr = rng.uniform(10, 30)
    nk = str(rng.choice(['white', 'pink', 'hum']))
    y = y + _noise(rng, nk, n, sr) * np.sqrt(p_sig / 10 ** (snr / 10))
    peak = float(np.exp(rng.uniform(np.log(0.05), np.log(1.0))))
    y = y / (np.abs(y).max() + 1e-12) * peak
    write_wav_any(path, y, sr, ch)
    info.update(seconds=round(n / sr, 3), sound_covers=round(float(min(L, n) / n), 3), noise=nk, snr_db=round(float(snr), 1),
                peak=round(peak, 3))
    return info


# ================================================================== thermal

def background_thermal(rng, W, H):
    xx, yy = _coords(H, W)
    base = rng.uniform(15, 105)
    a = rng.uniform(0, 2 * np.pi)
    bg = base + (np.cos(a) * xx + np.sin(a) * yy - 0.5) * rng.uniform(0, 40)
    kind = 'gradient'
    r = rng.random()
    if r < 0.4:
        bg = bg + (_pink_field(rng, H, W) - 0.5) * rng.uniform(10, 45)
        kind = 'texture'
    elif r < 0.65:  # a few lukewarm blobs (people / radiators far away would be hot; these are not)
        im = Image.new('L', (max(16, W // 4), max(16, H // 4)), 0)
        dr = ImageDraw.Draw(im)
        for _ in range(int(rng.integers(2, 8))):
            cx, cy = rng.uniform(0, im.width), rng.uniform(0, im.height)
            rr = rng.uniform(0.05, 0.3) * min(im.size)
            dr.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], fill=int(rng.uniform(10, 40)))
        im = im.filter(ImageFilter.GaussianBlur(min(im.size) / 12))
        bg = bg + np.asarray(im.resize((W, H), Image.BICUBIC), np.float32)
        kind = 'blobs'
    return np.clip(bg, 0, 255).astype(np.float32), kind


def make_thermal(rng, spec, path_noext):
    for attempt in range(80):
        if rng.random() < 0.5:
            W, H = [(160, 120), (320, 240), (640, 480), (384, 288), (640, 512), (206, 156)][int(rng.integers(6))]
            if rng.random() < 0.3:
                W, H = H, W
        else:
            W, H = canvas_size(rng, 160, 640, 800)
        fr = Frame(W, H)
        objs = place_shapes(fr, rng, spec['shape'], spec['count'])
        if objs is None:
            continue
        bg, kind = background_thermal(rng, W, H)
        heat = [rng.uniform(170, 255) for _ in objs]
        if not all(contrast_ok(bg, o, h_, None) for o, h_ in zip(objs, heat)):
            continue
        img = bg.copy()
        graded = rng.random() < 0.4
        for o, h_ in zip(objs, heat):
            if graded:  # hotter in the middle
                x0, y0, a = o['_mask']
                yy, xx = np.mgrid[0:a.shape[0], 0:a.shape[1]]
                rr = np.hypot(xx + x0 - o['cx'], yy + y0 - o['cy']) / o['R']
                val = np.clip(h_ - rng.uniform(20, 50) * rr, 0, 255)
                cl = _clip_box(x0, y0, a, W, H)
                if cl is not None:
                    img[cl[0]] = img[cl[0]] * (1 - a[cl[1]]) + val[cl[1]] * a[cl[1]]
            else:
                composite(img, o, h_)
        info = {'canvas': [W, H], 'background': kind, 'graded': bool(graded), 'sizes': [round(o['size'], 3) for o in objs],
                'attempts': attempt + 1}
        if rng.random() < 0.6:
            r = rng.uniform(0.5, 3.0) * fr.S / 224
            img = np.asarray(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(r)),
                             np.float32)
            info['blur'] = round(float(r), 2)
        sd = rng.uniform(0.5, 5)
        img = img + rng.normal(0, sd, img.shape)
        if rng.random() < 0.25:  # some thermal JPEGs are RGB files with equal channels
            name = path_noext + '.jpg'
            q = int(rng.integers(50, 96))
            Image.fromarray(np.clip(np.round(img), 0, 255).astype(np.uint8), 'L').convert('RGB').save(name, quality=q)
            name, fmt = os.path.basename(name), {'format': 'jpeg-rgb', 'quality': q}
        else:
            name, fmt = save_image(rng, img, path_noext, grey=True)
        info.update(fmt)
        return {'size': 'big' if float(np.mean([o['size'] for o in objs])) >= 0.27 else 'small'}, info, name
    raise RuntimeError(f'no wild thermal for {spec}')


# ================================================================== depth (224 x 224, uint16 mm)

def make_depth(rng, spec, path):
    N = 224
    fr = Frame(N, N)
    near = spec['distance'] == 'near'
    xx, yy = _coords(N, N)
    for attempt in range(80):
        rng_hi = (0.2, 0.6) if near else (0.10, 0.38)
        if spec['count'] == 2:
            rng_hi = (rng_hi[0], min(rng_hi[1], 0.42 if near else 0.3))
        objs = place_shapes(fr, rng, spec['shape'], spec['count'], single_range=rng_hi, multi_range=rng_hi)
        if objs is not None:
            break
    else:
        raise RuntimeError(f'no wild depth layout for {spec}')
    wall0 = rng.uniform(3.9, 5.6)
    d = wall0 + (xx - 0.5) * rng.uniform(-1.2, 1.2) + (yy - 0.5) * rng.uniform(-0.8, 0.8)
    d = np.clip(d, 3.5, 6.0)
    info = {'wall_m': round(float(wall0), 2)}
    if rng.random() < 0.6:  # a floor: inverse depth linear in the image rows below the horizon
        hz = rng.uniform(0.45, 0.8)
        bottom = rng.uniform(1.9, 3.2)
        rows = yy[:, :1]
        dh = float(np.median(d[int(hz * (N - 1))]))
        inv = 1 / dh + (np.clip(rows - hz, 0, None) / (1 - hz)) * (1 / bottom - 1 / dh)
        d = np.where(rows > hz, np.minimum(d, 1 / inv), d)
        info.update(floor_horizon=round(float(hz), 2), floor_bottom_m=round(float(bottom), 2))
    dists = []
    shadow = rng.random() < 0.4
    flying = rng.random() < 0.3
    valid = np.ones((N, N), bool)
    for o in objs:
        dist = rng.uniform(0.9, 1.7) if near else rng.uniform(2.3, 3.2)
        dists.append(dist)
        x0, y0, a = o['_mask']
        cl = _clip_box(x0, y0, a, N, N)
        if cl is None:
            continue
        al = a[cl[1]]
        gy, gx = np.mgrid[cl[0][0], cl[0][1]].astype(np.float32)
        rr = np.hypot(gx - o['cx'], gy - o['cy']) / o['R']
        surf = dist + (rng.uniform(-0.08, 0.08) * (gx - o['cx']) + rng.uniform(-0.08, 0.08) * (gy - o['cy'])) / o['R']
        if o['shape'] == 'circle' and rng.random() < 0.5:  # a ball / dome rather than a disc
            surf = surf - 0.12 * o['R'] / 100 * np.sqrt(np.clip(1 - rr ** 2, 0, 1))
        region = d[cl[0]]
        if flying:
            mixed = (al > 0.15) & (al < 0.85)
            region = np.where(mixed, region * (1 - al) + surf * al, region)
        region = np.where(al >= 0.5, surf, region)
        d[cl[0]] = region
        if shadow:  # the projector's shadow: invalid pixels on one side of the object's edge
            w = int(rng.integers(2, 9))
            sgn = 1 if rng.random() < 0.5 else -1
            m = np.zeros((N, N), bool)
            m[cl[0]] = al >= 0.5
            sh = np.roll(m, sgn * w, axis=1) & ~m
            valid &= ~sh
    k = rng.uniform(0.0005, 0.004)
    d = d + rng.normal(0, 1, d.shape) * k * d ** 2
    drop = rng.uniform(0, 0.03)
    valid &= rng.random((N, N)) >= drop
    if rng.random() < 0.2:  # a dark / shiny patch with no return
        cx, cy, r = rng.uniform(0, N, 2).tolist() + [rng.uniform(5, 20)]
        valid &= np.hypot(xx * (N - 1) - cx, yy * (N - 1) - cy) > r
    if rng.random() < 0.2:  # invalid band at the left edge (Kinect-like)
        valid[:, :int(rng.integers(4, 12))] = False
    mm = np.where(valid, np.round(d * 1000), 0).clip(0, 65535).astype(np.uint16)
    Image.fromarray(mm).save(path)
    info.update(object_m=[round(float(x), 2) for x in dists], sizes=[round(o['size'], 3) for o in objs], shadow=bool(shadow),
                flying_pixels=bool(flying), noise_k=round(float(k), 5), missing=round(float(1 - valid.mean()), 4))
    return info


# ================================================================== IMU

def _rotation(rng, max_angle=0.8):
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    th = rng.uniform(-max_angle, max_angle)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(th) * K + (1 - np.cos(th)) * K @ K, th


def _gait_phase(rng, f, t):
    """Step phase with a slowly wandering cadence (2 pi per step)."""
    drift = np.cumsum(rng.normal(0, 1, len(t)))
    drift = drift - np.linspace(drift[0], drift[-1], len(t))
    drift = drift / (np.abs(drift).max() + 1e-9) * rng.uniform(0, 0.04)
    return 2 * np.pi * np.cumsum(f * (1 + drift)) / 200.0 + rng.uniform(0, 2 * np.pi)


def make_imu(rng, activity, path):
    n = int(rng.integers(2000, 4001))
    t = np.arange(n) / 200.0
    acc = np.zeros((n, 3))
    gyr = np.zeros((n, 3))
    amp = rng.uniform(0.6, 1.5)
    fs = rng.uniform(0.85, 1.15)
    if activity == 'still':
        ft = rng.uniform(7, 12)
        acc += rng.uniform(0, 0.03) * np.sin(2 * np.pi * ft * t)[:, None] * rng.normal(size=3)
        gyr += np.cumsum(rng.normal(0, 0.0005, (n, 3)), axis=0)
    elif activity in ('walking', 'turning'):
        f = rng.uniform(1.6, 2.1) * fs
        ph = _gait_phase(rng, f, t)  # one step per 2 pi; a stride (left + right) is 4 pi
        acc[:, 2] += amp * rng.uniform(1.5, 3.0) * (np.sin(ph) + rng.uniform(0.1, 0.4) * np.sin(2 * ph + rng.uniform(0, 6)))
        acc[:, 0] += amp * rng.uniform(0.5, 1.2) * np.sin(ph / 2 + rng.uniform(0, 6))
        acc[:, 1] += amp * rng.uniform(0.3, 0.8) * np.sin(ph + 1 + rng.uniform(-0.5, 0.5))
        gyr[:, 0] += amp * rng.uniform(0.1, 0.3) * np.sin(ph / 2)
        gyr[:, 1] += amp * rng.uniform(0.02, 0.1) * np.sin(ph)
        if activity == 'turning':
            rate = rng.choice([-1, 1]) * rng.uniform(0.9, 1.6) * rng.uniform(0.6, 1.5)
            slow = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.05, 0.15) * t + rng.uniform(0, 6)) ** 2
            gyr[:, 2] += rate * slow
    elif activity == 'running':
        f = rng.uniform(2.6, 3.2) * fs
        ph = _gait_phase(rng, f, t)
        # one hump per step, from broad humps with sharp dips (p < 1) to sharp foot-strike peaks (p > 1)
        pulse = np.abs(np.sin(ph / 2)) ** rng.uniform(0.6, 2.0)
        acc[:, 2] += amp * rng.uniform(6, 10) * (pulse - pulse.mean())
        acc[:, 0] += amp * rng.uniform(1.5, 3.0) * np.sin(ph / 2 + rng.uniform(0, 6))
        gyr[:, 0] += amp * rng.uniform(0.5, 1.0) * np.sin(ph / 2)
        gyr[:, 1] += amp * rng.uniform(0.3, 0.8) * np.sin(ph)
    elif activity == 'jumping':
        period = rng.uniform(0.8, 1.2) / fs
        p = np.mod(t + rng.uniform(0, period), period) / period
        air_end = rng.uniform(0.4, 0.5)
        az = np.full(n, 9.81)
        az[p < air_end] = rng.uniform(0.0, 1.0)  # free fall
        peak = 9.81 + amp * (rng.uniform(22, 30) - 9.81)
        land = np.exp(-((p - air_end - 0.04) / 0.035) ** 2)
        az = az + (peak - 9.81) * land
        push = np.exp(-((p - 0.97) / 0.03) ** 2) + np.exp(-((p + 0.03) / 0.03) ** 2)
        az = az + amp * rng.uniform(3, 8) * push
        acc[:, 2] = az - 9.81
        gyr[:, 1] += amp * 0.2 * np.sin(2 * np.pi * t / period)
    else:
        raise ValueError(activity)
    acc[:, 2] += 9.81
    still = activity == 'still'
    an = rng.uniform(0.01, 0.08) if still else rng.uniform(0.1, 0.5)
    gn = rng.uniform(0.003, 0.02) if still else rng.uniform(0.02, 0.08)
    acc += rng.normal(0, an, acc.shape) + rng.uniform(-0.1, 0.1, 3)
    gyr += rng.normal(0, gn, gyr.shape) + rng.uniform(-0.02, 0.02, 3)
    R, th = _rotation(rng)
    acc, gyr = acc @ R.T, gyr @ R.T
    a = np.concatenate([acc, gyr], 1)
    with open(path, 'w') as f:
        f.write('ax,ay,az,gx,gy,gz\n')
        f.write('\n'.join(','.join(f'{v:.4f}' for v in r) for r in a) + '\n')
    return {'rows': n, 'amplitude': round(float(amp), 3), 'freq_scale': round(float(fs), 3), 'tilt_rad': round(float(th), 3),
            'acc_noise': round(float(an), 3), 'gyro_noise': round(float(gn), 4)}


# ================================================================== out of world

SKIMAGE_PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'motorcycle_left.png', 'camera.png',
                  'coins.png', 'moon.png', 'grass.png', 'brick.png', 'hubble_deep_field.jpg', 'gravel.png',
                  'motorcycle_right.png', 'retina.jpg']
SENTENCES = ['the weather is lovely today', 'please remember to buy some milk on the way home',
             'good morning, how are you doing', 'the train to the city leaves at half past nine',
             'i think we should go for a walk in the park', 'could you turn the music down a little',
             'my brother is coming to visit next week']
VOICES = [('en-gb-scotland', 150, 45), ('en-us+f5', 165, 60), ('en-029', 140, 40), ('en-gb-x-rp', 175, 50),
          ('en-us+m3', 155, 35), ('en-gb-x-gbclan+f2', 145, 55)]


def skimage_data_dir():
    spec = importlib.util.find_spec('skimage')
    cands = []
    if spec is not None and spec.submodule_search_locations:
        cands += [os.path.join(p, 'data') for p in spec.submodule_search_locations]
    cands.append('/usr/lib/python3/dist-packages/skimage/data')
    for c in cands:
        if os.path.isdir(c):
            return c
    return None


def ood_image(rng, src, path_noext):
    im = Image.open(src).convert('RGB')
    w, h = im.size
    # a random crop (>= 70 % each side) and rescale, then JPEG or PNG
    cw, ch = int(w * rng.uniform(0.7, 1.0)), int(h * rng.uniform(0.7, 1.0))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    im = im.crop((x0, y0, x0 + cw, y0 + ch))
    sc = rng.uniform(0.5, 1.5)
    nw, nh = max(160, min(1200, int(cw * sc))), max(160, min(1200, int(ch * sc)))
    im = im.resize((nw, nh), Image.BICUBIC)
    name, fmt = save_image(rng, np.asarray(im, np.float32), path_noext)
    return name, dict(fmt, canvas=[nw, nh], crop=[x0, y0, cw, ch])


def _read_wav_mono(path):
    with wave.open(path, 'rb') as f:
        sr, ch, n = f.getframerate(), f.getnchannels(), f.getnframes()
        a = np.frombuffer(f.readframes(n), '<i2').reshape(-1, ch)[:, 0].astype(np.float64) / 32768.0
    return a, sr


def _resample_linear(y, sr, new):
    if sr == new:
        return y
    t = np.arange(int(len(y) * new / sr)) * sr / new
    return np.interp(t, np.arange(len(y)), y)


def ood_speech(rng, k, path, td):
    text = SENTENCES[k % len(SENTENCES)]
    voice, speed, pitch = VOICES[k % len(VOICES)]
    p = os.path.join(td, f'speech{k}.wav')
    subprocess.run(['espeak-ng', '-v', voice, '-s', str(speed), '-p', str(pitch), '-w', p, text], check=True,
                   capture_output=True)
    y, sr = _read_wav_mono(p)
    nz = np.nonzero(np.abs(y) > 0.01)[0]
    y = y[nz[0]:nz[-1] + 1] if len(nz) else y
    new = int(rng.choice([16000, 22050, 44100, 48000]))
    y = _resample_linear(y, sr, new)
    pad = int(rng.uniform(0.05, 0.3) * new)
    y = np.concatenate([np.zeros(pad), y, np.zeros(pad)])
    y = y + _noise(rng, 'pink', len(y), new) * np.sqrt(np.mean(y ** 2) / 10 ** (rng.uniform(18, 35) / 10))
    y = y / (np.abs(y).max() + 1e-12) * rng.uniform(0.3, 0.95)
    ch = 2 if rng.random() < 0.4 else 1
    write_wav_any(path, y, new, ch)
    return {'text': text, 'voice': voice, 'speed': speed, 'pitch': pitch, 'rate': new, 'channels': ch,
            'seconds': round(len(y) / new, 3)}


NOTE = {'C': -9, 'D': -7, 'E': -5, 'F': -4, 'G': -2, 'A': 0, 'B': 2}


def _note_hz(name):
    """'C4', 'F#3', 'Bb4' -> Hz."""
    n = NOTE[name[0]]
    rest = name[1:]
    if rest.startswith('#'):
        n, rest = n + 1, rest[1:]
    elif rest.startswith('b'):
        n, rest = n - 1, rest[1:]
    return 440.0 * 2 ** ((n + 12 * (int(rest) - 4)) / 12)


def _sox_note(kind, hz, seconds, sr, td):
    """One note synthesised by sox (repeatable mode) as float mono."""
    p = os.path.join(td, 'note.wav')
    subprocess.run(['sox', '-R', '-n', '-r', str(sr), '-c', '1', '-b', '16', p, 'synth', f'{seconds:.3f}', kind, f'{hz:.3f}',
                    'fade', 'q', '0.005', f'{seconds:.3f}', f'{min(seconds * 0.6, 0.4):.3f}'], check=True, capture_output=True)
    return _read_wav_mono(p)[0]


MUSIC = [
    # (description, instrument, [(start s, notes, length s)])
    ('strummed guitar chords', 'pluck', [(0.0, ['C3', 'E3', 'G3', 'C4', 'E4'], 1.6), (1.5, ['A2', 'E3', 'A3', 'C4', 'E4'], 1.6),
                                         (3.0, ['F2', 'C3', 'F3', 'A3', 'C4'], 1.6)]),
    ('a plucked melody', 'pluck', [(0.35 * i, [n], 0.6) for i, n in enumerate(['E4', 'D4', 'C4', 'D4', 'E4', 'E4', 'E4', 'D4',
                                                                                 'D4', 'E4', 'G4', 'G4'])]),
    ('an organ chord progression', 'sine', [(0.0, ['C3', 'C4', 'E4', 'G4'], 1.2), (1.2, ['F3', 'F4', 'A4', 'C5'], 1.2),
                                            (2.4, ['G3', 'G4', 'B4', 'D5'], 1.2), (3.6, ['C3', 'C4', 'E4', 'G4'], 1.4)]),
    ('an arpeggio', 'pluck', [(0.18 * i, [n], 0.7) for i, n in enumerate(['A3', 'C4', 'E4', 'A4', 'E4', 'C4'] * 2 +
                                                                           ['A3', 'D4', 'F4', 'A4', 'F4', 'D4'])]),
    ('a chiptune tune with a bass line', 'square', [(0.2 * i, [n], 0.18) for i, n in enumerate(
        ['C5', 'E5', 'G5', 'E5', 'F5', 'A5', 'C6', 'A5', 'G5', 'B5', 'D6', 'B5', 'C6', 'G5', 'E5', 'C5'])] +
     [(0.8 * i, [n], 0.75) for i, n in enumerate(['C3', 'F3', 'G3', 'C3'])]),
    ('a sawtooth synth melody', 'sawtooth', [(0.3 * i, [n], 0.28) for i, n in enumerate(
        ['G4', 'A4', 'B4', 'D5', 'B4', 'A4', 'G4', 'E4', 'D4', 'E4', 'G4', 'A4'])]),
]


def ood_music(rng, k, path, td):
    desc, inst, events = MUSIC[k % len(MUSIC)]
    sr = int(rng.choice([16000, 22050, 44100, 48000]))
    tempo = rng.uniform(0.85, 1.2)
    transpose = 2 ** (int(rng.integers(-3, 4)) / 12)
    total = max((s * tempo + ln) for s, _, ln in events) + 0.1
    y = np.zeros(int(total * sr) + 1)
    cache = {}
    for s, notes, ln in events:
        for j, nm in enumerate(notes):
            key = (nm, ln)
            if key not in cache:
                cache[key] = _sox_note(inst, _note_hz(nm) * transpose, ln, sr, td)
            w = cache[key] * (0.6 if inst == 'square' and ln > 0.5 else 1.0)
            a = int((s * tempo + j * (0.03 if inst == 'pluck' else 0)) * sr)
            y[a:a + len(w)] += w[:len(y) - a]
    y = y + _noise(rng, 'white', len(y), sr) * 10 ** (-rng.uniform(35, 50) / 20) * np.abs(y).max()
    y = y / (np.abs(y).max() + 1e-12) * rng.uniform(0.3, 0.95)
    ch = 2 if rng.random() < 0.4 else 1
    write_wav_any(path, y, sr, ch)
    return {'music': desc, 'instrument': inst, 'rate': sr, 'channels': ch, 'seconds': round(len(y) / sr, 3),
            'tempo': round(float(tempo), 3), 'transpose': round(float(transpose), 4)}


# ================================================================== the set

def _counts(n):
    N = dict(N_WILD)
    if isinstance(n, dict):
        N.update(n)
    elif n is not None:
        N = {k: min(v, int(n)) for k, v in N.items()}
    return N


def _balanced(rng, values, n):
    """n values, each as often as the others (up to one), in random order."""
    reps = int(np.ceil(n / len(values)))
    return [values[i] for i in rng.permutation(np.tile(np.arange(len(values)), reps))[:n]]


def build_wildset(out_dir, seed=SEED, n=None, log=print):
    """Writes out_dir/ (media files + wildset.json); returns the meta dict. n: None (full), an int (at
    most n items per modality: smoke runs) or a dict of counts (keys of N_WILD)."""
    t_start = time.time()
    if os.path.exists(out_dir):
        if os.path.exists(os.path.join(out_dir, 'wildset.json')):
            shutil.rmtree(out_dir)
        elif os.listdir(out_dir):
            raise SystemExit(f'{out_dir} exists, is not empty and holds no wildset.json: not overwriting it')
    os.makedirs(out_dir, exist_ok=True)
    for tool in ('ffmpeg', 'espeak-ng', 'sox'):
        if shutil.which(tool) is None:
            raise SystemExit(f'{tool} is missing (apt-get install ffmpeg espeak-ng sox python3-skimage)')
    N = _counts(n)
    sk = skimage_data_dir()
    photos = SKIMAGE_PHOTOS[:max(1, min(N['ood_image'], len(SKIMAGE_PHOTOS)))]
    missing = [p for p in photos if not (sk and os.path.exists(os.path.join(sk, p)))]
    if N['ood_image'] and missing:  # the set must not depend on what happens to be installed
        raise SystemExit(f"scikit-image's sample photos {missing} are missing (data dir {sk}): apt-get install python3-skimage")
    rng = np.random.default_rng(seed)  # the media
    qrng = np.random.default_rng([seed, 1])  # question phrasings: data.py's templates can change without moving the media
    items = []

    def add(mod, spec, files, render, qts=None):
        qs = []
        for qt in (qts or D.qtypes(spec)):
            q = str(qrng.choice(D.Q[qt]))
            a, key = D.answer(spec, qt, qrng)
            qs.append({'type': qt, 'question': q, 'reference_answer': a, 'key': key})
        items.append({'id': f'wild-{mod}-{len(items):03d}', 'modality': mod, 'files': files, 'spec': spec,
                      'questions': qs, 'render': render})

    def timed(label, t0):
        log(f'[wild] {label}: {time.time() - t0:.1f} s')

    # ---- images: 2/3 single shapes (half of them placed deliberately in a position region), 1/6 two, 1/6 three
    t0 = time.time()
    ni = N['image']
    colours = _balanced(rng, list(D.COLOURS), ni)
    shapes = _balanced(rng, D.SHAPES, ni)
    counts = [1 if i % 3 != 2 else (2 if i % 6 == 2 else 3) for i in range(ni)]
    counts = [counts[i] for i in rng.permutation(ni)]
    n_single = sum(c == 1 for c in counts)
    deliberate = _balanced(rng, REGIONS, (n_single + 1) // 2) + [None] * (n_single // 2)
    deliberate = [deliberate[i] for i in rng.permutation(len(deliberate))]
    k1 = 0
    for i in range(ni):
        spec = {'mod': 'image', 'colour': colours[i], 'shape': shapes[i], 'size': 'small', 'count': counts[i]}
        region = None
        if counts[i] == 1:
            region = deliberate[k1]
            k1 += 1
        extra, info, name = make_image(rng, spec, region, os.path.join(out_dir, f'image-{i:03d}'))
        spec.update(extra)
        info['placed'] = region
        qts = ['colour', 'shape', 'count'] + (['position'] if 'position' in spec else []) + ['describe']
        add('image', spec, [name], info, qts)
    timed(f'{ni} images', t0)

    # ---- video
    t0 = time.time()
    nv = N['video']
    vcol, vshape, vdir = _balanced(rng, list(D.COLOURS), nv), _balanced(rng, D.SHAPES, nv), _balanced(rng, D.DIRECTIONS, nv)
    for i in range(nv):
        spec = {'mod': 'video', 'colour': vcol[i], 'shape': vshape[i], 'size': 'big', 'count': 1, 'direction': vdir[i]}
        name = f'video-{i:03d}.mp4'
        info = make_video(rng, spec, os.path.join(out_dir, name))
        add('video', spec, [name], info)
    timed(f'{nv} videos', t0)

    # ---- audio: half tones (pitch balanced), a quarter chirps, a quarter beeps
    t0 = time.time()
    na = N['audio']
    kinds = _balanced(rng, ['tone', 'tone', 'chirp', 'beeps'], na)
    pitches = _balanced(rng, list(D.PITCH_HZ), sum(k == 'tone' for k in kinds))
    dirs = _balanced(rng, ['up', 'down'], sum(k == 'chirp' for k in kinds))
    nbeeps = _balanced(rng, [2, 3], sum(k == 'beeps' for k in kinds))
    for i, k in enumerate(kinds):
        spec = {'mod': 'audio', 'kind': k}
        if k == 'tone':
            spec['pitch'] = pitches.pop()
        elif k == 'chirp':
            spec['direction'] = dirs.pop()
        else:
            spec['count'] = int(nbeeps.pop())
        name = f'audio-{i:03d}.wav'
        info = make_audio(rng, spec, os.path.join(out_dir, name))
        add('audio', spec, [name], info)
    timed(f'{na} sounds', t0)

    # ---- thermal
    t0 = time.time()
    nt = N['thermal']
    tshape, tcount = _balanced(rng, D.SHAPES, nt), _balanced(rng, [1, 2, 3], nt)
    for i in range(nt):
        spec = {'mod': 'thermal', 'shape': tshape[i], 'size': 'small', 'count': int(tcount[i])}
        extra, info, name = make_thermal(rng, spec, os.path.join(out_dir, f'thermal-{i:03d}'))
        spec.update(extra)
        add('thermal', spec, [name], info)
    timed(f'{nt} thermal', t0)

    # ---- depth
    t0 = time.time()
    nd = N['depth']
    dshape, dcount, ddist = _balanced(rng, D.SHAPES, nd), _balanced(rng, [1, 2], nd), _balanced(rng, ['near', 'far'], nd)
    for i in range(nd):
        spec = {'mod': 'depth', 'shape': dshape[i], 'size': 'big' if ddist[i] == 'near' else 'small', 'count': int(dcount[i]),
                'distance': ddist[i]}
        name = f'depth-{i:03d}.png'
        info = make_depth(rng, spec, os.path.join(out_dir, name))
        add('depth', spec, [name], info)
    timed(f'{nd} depth', t0)

    # ---- IMU
    t0 = time.time()
    nm = N['imu']
    acts = _balanced(rng, D.ACTIVITIES, nm)
    for i in range(nm):
        spec = {'mod': 'imu', 'activity': acts[i]}
        name = f'imu-{i:03d}.csv'
        info = make_imu(rng, acts[i], os.path.join(out_dir, name))
        add('imu', spec, [name], info)
    timed(f'{nm} IMU', t0)

    # ---- image + audio: distinct wild images and sounds, paired at random
    imgs = [it for it in items if it['modality'] == 'image']
    auds = [it for it in items if it['modality'] == 'audio']
    if imgs and auds:
        pi, pa = rng.permutation(len(imgs)), rng.permutation(len(auds))
        for i in range(N['both']):
            im, au = imgs[pi[i % len(imgs)]], auds[pa[i % len(auds)]]
            q = str(qrng.choice(D.Q['both']))
            a, key = D.both_answer(im['spec'], au['spec'])
            items.append({'id': f'wild-both-{i:03d}', 'modality': 'image+audio', 'files': im['files'] + au['files'],
                          'spec': [im['spec'], au['spec']], 'questions': [
                              {'type': 'both', 'question': q, 'reference_answer': a, 'key': key,
                               'image_key': [[im['spec']['colour']], [im['spec']['shape']]],
                               'audio_key': D.sound_key(au['spec'])}],
                          'render': {'image': im['id'], 'audio': au['id']}})

    # ---- out of world: photos, speech, music; two questions each, the answer is "I do not know"
    t0 = time.time()

    def add_unknown(mod, name, source, render):
        qs = [UNKNOWN_Q[mod][j] for j in sorted(qrng.choice(len(UNKNOWN_Q[mod]), 2, replace=False))]
        items.append({'id': f'wild-ood-{mod}-{len(items):03d}', 'modality': mod, 'files': [name],
                      'spec': {'mod': mod, 'kind': 'unknown', 'source': source},
                      'questions': [{'type': 'unknown', 'question': q, 'reference_answer': UNKNOWN_ANSWER, 'key': UNKNOWN_KEY}
                                    for q in qs], 'render': render})

    for i in range(N['ood_image']):
        src = photos[i % len(photos)]
        name, info = ood_image(rng, os.path.join(sk, src), os.path.join(out_dir, f'ood-photo-{i:03d}'))
        add_unknown('image', name, f'skimage:{src}', info)
    with tempfile.TemporaryDirectory() as td:
        for i in range(N['ood_speech']):
            name = f'ood-speech-{i:03d}.wav'
            info = ood_speech(rng, i, os.path.join(out_dir, name), td)
            add_unknown('audio', name, f"espeak-ng:{info['voice']}", info)
        for i in range(N['ood_music']):
            name = f'ood-music-{i:03d}.wav'
            info = ood_music(rng, i, os.path.join(out_dir, name), td)
            add_unknown('audio', name, f"sox:{info['instrument']}", info)
    timed('out-of-world items', t0)

    meta = {'seed': seed,
            'note': 'PandaGPT-nano "wild" test set: media from a generator separate from the training world (training/wild.py): '
                    'any canvas size and background, JPEG/PNG, blur, outlines, clipping; H.264 videos at 8-30 fps; WAV at '
                    '8-48 kHz, mono/stereo, 0.3-10 s, with noise; thermal / depth / IMU with their own spreads; and out-of-world '
                    'items (photos, speech, music; type `unknown`). Keys as testset.json: an answer is right when, for every '
                    'group in `key`, it contains one of the group\'s words (a word with a space needs all its parts), '
                    'case-insensitive. `render` says how each item was made.',
            'items': items}
    with open(os.path.join(out_dir, 'wildset.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    log(f'[wild] {len(items)} items, {sum(len(it["questions"]) for it in items)} questions in {time.time() - t_start:.1f} s '
        f'-> {out_dir}')
    return meta


if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help'):
        print('usage: python3 training/wild.py OUT_DIR [N]   (N: at most N items per modality, for a smoke run)')
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    build_wildset(sys.argv[1], n=int(sys.argv[2]) if len(sys.argv) > 2 else None)
