"""The synthetic world: seeded generators for every modality, their captions, question/answer
templates and the binding partners used for ImageBind-style training.

World (everything is drawn at 224x224 so Resize/CenterCrop are identities for training tensors):
  image   : 1-3 shapes (circle, square, triangle, star) of one colour (red, green, blue, yellow, purple,
            white), one size (small, big); a single shape also has a position (left/right/top/bottom/center)
  video   : 2 s at 8 fps, one big shape moving left/right/up/down (or standing still)
  audio   : 2 s at 16 kHz: a tone (low/medium/high pitch), a chirp (rising/falling), a noise burst,
            2-3 beeps, or a spoken word (espeak-ng: the colour and shape names)
  thermal : the image layout rendered as hot blobs on a cool background (grey levels, no colour)
  depth   : 1-2 shapes in front of a wall; big = near (1.0-1.6 m), small = far (2.4-3.0 m); metres
  imu     : 2000 x 6 (ax,ay,az,gx,gy,gz) at 200 Hz: still, walking, running, jumping, turning

Binding partners (image is the binding modality, as in ImageBind): thermal and depth share the
layout of their partner image; video frames go through the vision encoder itself; audio and IMU get
fixed documented correspondences (see `audio_partner`, `imu_partner`), standing in for the
co-occurrence that pairs them in real videos.
"""
import os
import subprocess
import tempfile
import wave

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

COLOURS = {'red': (220, 35, 35), 'green': (40, 185, 60), 'blue': (45, 85, 235), 'yellow': (235, 220, 40),
           'purple': (155, 60, 205), 'white': (240, 240, 240)}
SHAPES = ['circle', 'square', 'triangle', 'star']
SIZES = ['small', 'big']
POSITIONS = {'left': (56, 112), 'right': (168, 112), 'top': (112, 56), 'bottom': (112, 168), 'center': (112, 112)}
NUM = {1: 'one', 2: 'two', 3: 'three', 4: 'four'}
DIRECTIONS = ['left', 'right', 'up', 'down']
PITCH_HZ = {'low': (170, 300), 'medium': (480, 750), 'high': (1300, 2200)}
WORDS = ['red', 'green', 'blue', 'yellow', 'circle', 'square', 'triangle', 'star']
SOUNDS = ['tone', 'chirp', 'noise', 'beeps', 'word']
ACTIVITIES = ['still', 'walking', 'running', 'jumping', 'turning']
PLURAL = {'circle': 'circles', 'square': 'squares', 'triangle': 'triangles', 'star': 'stars'}
SR = 16000


# ------------------------------------------------------------------ specs

def image_spec(rng, count=None):
    s = {'mod': 'image', 'colour': rng.choice(list(COLOURS)), 'shape': rng.choice(SHAPES),
         'size': rng.choice(SIZES), 'count': int(count or rng.integers(1, 4))}
    if s['count'] == 1:
        s['position'] = rng.choice(list(POSITIONS))
    return s


def layout(spec, rng):
    """Objects (cx, cy, r, shape, rot) for a spec; shared by RGB, thermal and depth renderings."""
    r_lo, r_hi = (18, 24) if spec['size'] == 'small' else (34, 44)
    objs = []
    if spec['count'] == 1 and 'position' in spec:
        cx, cy = POSITIONS[spec['position']]
        r = rng.uniform(r_lo, r_hi)
        objs.append((cx + rng.uniform(-10, 10), cy + rng.uniform(-10, 10), r, spec['shape'], rng.uniform(-12, 12)))
        return objs
    tries = 0
    while len(objs) < spec['count']:
        tries += 1
        r = rng.uniform(r_lo, r_hi)
        cx, cy = rng.uniform(r + 4, 220 - r), rng.uniform(r + 4, 220 - r)
        if all((cx - o[0]) ** 2 + (cy - o[1]) ** 2 > (r + o[2] + 6) ** 2 for o in objs) or tries > 500:
            objs.append((cx, cy, r, spec['shape'], rng.uniform(-12, 12)))
    return objs


def _poly(shape, cx, cy, r, rot):
    a0 = np.deg2rad(rot)
    if shape == 'square':
        ang = a0 + np.pi / 4 + np.arange(4) * np.pi / 2
        rr = np.full(4, r * 1.15)
    elif shape == 'triangle':
        ang = a0 - np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        rr = np.full(3, r * 1.15)
    else:  # star
        ang = a0 - np.pi / 2 + np.arange(10) * np.pi / 5
        rr = np.where(np.arange(10) % 2 == 0, r * 1.2, r * 0.5)
    return [(cx + q * np.cos(a), cy + q * np.sin(a)) for q, a in zip(rr, ang)]


def draw_objects(draw, objs, fill):
    for (cx, cy, r, shape, rot), f in zip(objs, fill):
        if shape == 'circle':
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=f)
        else:
            draw.polygon(_poly(shape, cx, cy, r, rot), fill=f)


def _background(rng, lo, hi, ch):
    base = rng.uniform(lo, hi)
    g = np.linspace(-1, 1, 224)
    ang = rng.uniform(0, 2 * np.pi)
    grad = (np.cos(ang) * g[None, :] + np.sin(ang) * g[:, None]) * rng.uniform(0, 15)
    bg = base + grad
    if ch == 3:
        tint = rng.uniform(-8, 8, 3)
        bg = bg[..., None] + tint
    return bg


def render_rgb(spec, objs, rng):
    bg = _background(rng, 15, 80, 3)
    img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), 'RGB')
    col = np.array(COLOURS[spec['colour']])
    fills = [tuple(int(v) for v in np.clip(col + rng.integers(-18, 19, 3), 0, 255)) for _ in objs]
    draw_objects(ImageDraw.Draw(img), objs, fills)
    a = np.asarray(img).astype(np.float32) + rng.normal(0, 3.0, (224, 224, 3))
    return np.clip(a, 0, 255).astype(np.uint8)


def render_thermal(objs, rng):
    bg = _background(rng, 30, 80, 1)
    img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), 'L')
    draw_objects(ImageDraw.Draw(img), objs, [int(rng.uniform(190, 255)) for _ in objs])
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(1.5, 3.5)))
    a = np.asarray(img).astype(np.float32) + rng.normal(0, 2.5, (224, 224))
    return np.clip(a, 0, 255).astype(np.uint8)  # (224,224) uint8


def render_depth(spec, objs, rng):
    """Metres: a wall at 4-5 m with a floor gradient; objects flat at near/far distance."""
    wall = rng.uniform(4.0, 5.0)
    rows = np.linspace(0, 1, 224)[:, None]
    d = np.where(rows > 0.6, wall - (rows - 0.6) / 0.4 * rng.uniform(1.0, 2.0), wall) * np.ones((1, 224))
    near = spec['size'] == 'big'
    mask = Image.new('L', (224, 224), 0)
    dists = [rng.uniform(1.0, 1.6) if near else rng.uniform(2.4, 3.0) for _ in objs]
    for o, dist in zip(objs, dists):
        m = Image.new('L', (224, 224), 0)
        draw_objects(ImageDraw.Draw(m), [o], [255])
        mm = np.asarray(m) > 127
        d = np.where(mm, dist, d)
    d = d + rng.normal(0, 0.005, d.shape)
    return np.round(d * 1000).astype(np.uint16)  # (224,224) millimetres


def video_spec(rng, direction=None):
    s = {'mod': 'video', 'colour': rng.choice(list(COLOURS)), 'shape': rng.choice(SHAPES), 'size': 'big', 'count': 1,
         'direction': direction or rng.choice(DIRECTIONS)}
    return s


def render_video(spec, rng, n=16, ends_only=False):
    """(n,224,224,3) frames of a shape moving ~100 px in 2 s (ends_only: just the first and last frame,
    which is all a 2 s clip contributes after UniformTemporalSubsample(2))."""
    d = spec['direction']
    r = rng.uniform(26, 34)
    travel = rng.uniform(90, 120)
    c = rng.uniform(80, 144)
    if d in ('left', 'right'):
        x0 = 112 + (travel / 2 if d == 'left' else -travel / 2)
        path = [(x0 + (-1 if d == 'left' else 1) * travel * t / (n - 1), c) for t in range(n)]
    elif d in ('up', 'down'):
        y0 = 112 + (travel / 2 if d == 'up' else -travel / 2)
        path = [(c, y0 + (-1 if d == 'up' else 1) * travel * t / (n - 1)) for t in range(n)]
    else:
        p = (rng.uniform(60, 164), rng.uniform(60, 164))
        path = [p] * n
    bg = _background(rng, 15, 80, 3)
    col = np.clip(np.array(COLOURS[spec['colour']]) + rng.integers(-18, 19, 3), 0, 255)
    rot = rng.uniform(-12, 12)
    frames = []
    for (x, y) in ([path[0], path[-1]] if ends_only else path):
        img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), 'RGB')
        draw_objects(ImageDraw.Draw(img), [(x, y, r, spec['shape'], rot)], [tuple(int(v) for v in col)])
        a = np.asarray(img).astype(np.float32) + rng.normal(0, 3.0, (224, 224, 3))
        frames.append(np.clip(a, 0, 255).astype(np.uint8))
    return np.stack(frames)


# ------------------------------------------------------------------ audio

def audio_spec(rng, kind=None):
    k = kind or rng.choice(SOUNDS, p=[0.3, 0.15, 0.1, 0.15, 0.3])
    s = {'mod': 'audio', 'kind': k}
    if k == 'tone':
        s['pitch'] = rng.choice(list(PITCH_HZ))
    elif k == 'chirp':
        s['direction'] = rng.choice(['up', 'down'])
    elif k == 'beeps':
        s['count'] = int(rng.integers(2, 4))
    elif k == 'word':
        s['word'] = rng.choice(WORDS)
    return s


_SPEECH_CACHE = {}


def speech(word, variant, split):
    """espeak-ng rendering of a word, 16 kHz float. Train and test use disjoint voice settings."""
    key = (word, variant, split)
    if key in _SPEECH_CACHE:
        return _SPEECH_CACHE[key]
    voices = ['en', 'en+m1', 'en+m3', 'en+m5', 'en+f1', 'en+f3', 'en-us', 'en-us+m2', 'en+m7', 'en+f2', 'en-us+f4', 'en+m4']
    v = voices[variant % len(voices)]
    if split == 'test':
        speed, pitch = 140 + 17 * (variant % 3), 35 + 11 * (variant % 4)
    else:
        speed, pitch = 125 + 10 * (variant % 6), 30 + 8 * (variant % 6)
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, 'w.wav')
        subprocess.run(['espeak-ng', '-v', v, '-s', str(speed), '-p', str(pitch), '-w', p, word], check=True,
                       capture_output=True)
        with wave.open(p, 'rb') as f:
            sr = f.getframerate()
            a = np.frombuffer(f.readframes(f.getnframes()), '<i2').astype(np.float32) / 32768.0
    # resample to 16 kHz (linear is enough for synthesis; files themselves are resampled by the spec's resampler)
    t = np.arange(int(len(a) * SR / sr)) * sr / SR
    a = np.interp(t, np.arange(len(a)), a).astype(np.float32)
    nz = np.nonzero(np.abs(a) > 0.01)[0]
    if len(nz):
        a = a[nz[0]:nz[-1] + 1]
    _SPEECH_CACHE[key] = a
    return a


def render_audio(spec, rng, split='train', n=2 * SR):
    t = np.arange(n) / SR
    y = np.zeros(n, np.float32)
    k = spec['kind']

    def env(length):
        e = np.ones(length, np.float32)
        f = min(int(0.02 * SR), length // 2)
        e[:f] = np.linspace(0, 1, f)
        e[-f:] = np.linspace(1, 0, f)
        return e

    if k == 'tone':
        f0 = rng.uniform(*PITCH_HZ[spec['pitch']])
        L = int(rng.uniform(1.2, 1.9) * SR)
        s0 = int(rng.uniform(0, n - L))
        tt = np.arange(L) / SR
        w = np.sin(2 * np.pi * f0 * tt) + rng.uniform(0, 0.35) * np.sin(4 * np.pi * f0 * tt)
        y[s0:s0 + L] = w * env(L)
    elif k == 'chirp':
        lo, hi = rng.uniform(220, 400), rng.uniform(1600, 2600)
        L = int(rng.uniform(1.0, 1.8) * SR)
        s0 = int(rng.uniform(0, n - L))
        tt = np.arange(L) / SR
        f_a, f_b = (lo, hi) if spec['direction'] == 'up' else (hi, lo)
        T = L / SR
        ph = 2 * np.pi * f_a * T / np.log(f_b / f_a) * (np.exp(tt / T * np.log(f_b / f_a)) - 1)
        y[s0:s0 + L] = np.sin(ph) * env(L)
    elif k == 'noise':
        for _ in range(int(rng.integers(1, 4))):
            L = int(rng.uniform(0.15, 0.5) * SR)
            s0 = int(rng.uniform(0, n - L))
            y[s0:s0 + L] += rng.normal(0, 0.5, L) * env(L)
    elif k == 'beeps':
        f0 = rng.uniform(700, 1100)
        L = int(rng.uniform(0.1, 0.16) * SR)
        gap = int(rng.uniform(0.25, 0.4) * SR)
        total = spec['count'] * L + (spec['count'] - 1) * gap
        s0 = int(rng.uniform(0, n - total))
        tt = np.arange(L) / SR
        for i in range(spec['count']):
            a = s0 + i * (L + gap)
            y[a:a + L] = np.sin(2 * np.pi * f0 * tt) * env(L)
    elif k == 'word':
        variant = int(rng.integers(0, 12 if split == 'train' else 6))
        w = speech(spec['word'], variant, split)
        w = w[:n]
        s0 = int(rng.uniform(0, n - len(w)))
        y[s0:s0 + len(w)] = w / (np.abs(w).max() + 1e-6)
    y = y / (np.abs(y).max() + 1e-6) * rng.uniform(0.2, 0.7)
    y = y + rng.normal(0, rng.uniform(0.001, 0.01), n)
    return np.clip(y, -1, 1).astype(np.float32)


def audio_partner(spec, rng):
    """The image an audio clip is paired with for binding (fixed correspondences)."""
    k = spec['kind']
    if k == 'tone':  # pitch <-> height, like notes on a stave
        pos = {'high': 'top', 'medium': 'center', 'low': 'bottom'}[spec['pitch']]
        col = {'high': 'yellow', 'medium': 'green', 'low': 'blue'}[spec['pitch']]  # and light <-> colour
        return {'colour': col, 'shape': 'circle', 'size': 'big', 'count': 1, 'position': pos}
    if k == 'chirp':
        return {'colour': rng.choice(list(COLOURS)), 'shape': 'triangle', 'size': 'big', 'count': 1,
                'position': 'top' if spec['direction'] == 'up' else 'bottom'}
    if k == 'noise':
        return {'colour': rng.choice(list(COLOURS)), 'shape': 'star', 'size': 'small', 'count': 3}
    if k == 'beeps':  # n beeps <-> n things
        return {'colour': rng.choice(list(COLOURS)), 'shape': 'square', 'size': 'small', 'count': spec['count']}
    w = spec['word']  # a spoken name <-> what it names
    if w in COLOURS:
        return {'colour': w, 'shape': rng.choice(SHAPES), 'size': 'big', 'count': 2}
    return {'colour': rng.choice(list(COLOURS)), 'shape': w, 'size': 'small', 'count': 1,
            'position': rng.choice(list(POSITIONS))}


# ------------------------------------------------------------------ thermal / depth / imu specs

def thermal_spec(rng):
    s = image_spec(rng)
    s['mod'] = 'thermal'
    del s['colour']
    return s


def depth_spec(rng):
    s = image_spec(rng, count=int(rng.integers(1, 3)))
    s['mod'] = 'depth'
    del s['colour']
    s.pop('position', None)
    s['distance'] = 'near' if s['size'] == 'big' else 'far'
    return s


def partner_image_spec(spec, rng):
    """thermal/depth partner: the same shapes in a random colour (layout is shared by the caller)."""
    p = {k: v for k, v in spec.items() if k in ('shape', 'size', 'count', 'position')}
    p['colour'] = rng.choice(list(COLOURS))
    return p


def imu_spec(rng):
    return {'mod': 'imu', 'activity': rng.choice(ACTIVITIES)}


def render_imu(spec, rng, n=2000, hz=200.0):
    t = np.arange(n) / hz
    acc = np.zeros((n, 3))
    gyr = np.zeros((n, 3))
    acc[:, 2] = 9.81
    a = spec['activity']
    ph = rng.uniform(0, 2 * np.pi)
    if a in ('walking', 'turning'):
        f = rng.uniform(1.6, 2.1)
        acc[:, 2] += rng.uniform(1.5, 3.0) * np.sin(2 * np.pi * f * t + ph)
        acc[:, 0] += rng.uniform(0.5, 1.2) * np.sin(np.pi * f * t + ph)
        acc[:, 1] += rng.uniform(0.3, 0.8) * np.sin(2 * np.pi * f * t + ph + 1)
        gyr[:, 0] += rng.uniform(0.1, 0.3) * np.sin(np.pi * f * t)
        if a == 'turning':
            sign = rng.choice([-1, 1])
            gyr[:, 2] += sign * rng.uniform(0.9, 1.6) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.1 * t + ph) ** 2)
    elif a == 'running':
        f = rng.uniform(2.6, 3.2)
        acc[:, 2] += rng.uniform(6, 10) * (np.abs(np.sin(np.pi * f * t + ph)) - 0.63)
        acc[:, 0] += rng.uniform(1.5, 3.0) * np.sin(np.pi * f * t + ph)
        gyr[:, 0] += rng.uniform(0.5, 1.0) * np.sin(np.pi * f * t)
        gyr[:, 1] += rng.uniform(0.3, 0.8) * np.sin(2 * np.pi * f * t)
    elif a == 'jumping':
        period = rng.uniform(0.8, 1.2)
        p = ((t + rng.uniform(0, period)) % period) / period
        air = p < 0.45
        acc[air, 2] = rng.uniform(0.0, 1.0)
        land = (p >= 0.45) & (p < 0.55)
        acc[land, 2] = rng.uniform(22, 30)
        gyr[:, 1] += 0.2 * np.sin(2 * np.pi * t / period)
    # still: only noise
    acc += rng.normal(0, 0.05 if a == 'still' else 0.3, acc.shape)
    gyr += rng.normal(0, 0.01 if a == 'still' else 0.05, gyr.shape)
    # a random small device tilt
    th = rng.uniform(-0.3, 0.3)
    R = np.array([[1, 0, 0], [0, np.cos(th), -np.sin(th)], [0, np.sin(th), np.cos(th)]])
    acc, gyr = acc @ R.T, gyr @ R.T
    return np.concatenate([acc, gyr], axis=1).astype(np.float32)  # (2000,6)


def imu_partner(spec, rng):
    """IMU <-> video of a moving shape (ImageBind pairs IMU with egocentric video)."""
    d = {'still': 'none', 'walking': 'right', 'running': 'left', 'jumping': 'up', 'turning': 'down'}[spec['activity']]
    return video_spec(rng, direction=d)


# ------------------------------------------------------------------ captions and questions

def _things(s):
    n = s['count']
    noun = s['shape'] if n == 1 else PLURAL[s['shape']]
    words = [NUM[n] if n > 1 else 'a']
    if 'size' in s:
        words.append(s['size'])
    if 'colour' in s:
        words.append(s['colour'])
    words.append(noun)
    return ' '.join(words)


POS_PHRASE = {'left': 'on the left', 'right': 'on the right', 'top': 'at the top', 'bottom': 'at the bottom',
              'center': 'in the center'}
MOVE = {'left': 'moving to the left', 'right': 'moving to the right', 'up': 'moving up', 'down': 'moving down',
        'none': 'standing still'}
def sound_phrase(s):
    k = s['kind']
    if k == 'tone':
        return f"a {s['pitch']} tone"
    if k == 'chirp':
        return 'a rising chirp' if s['direction'] == 'up' else 'a falling chirp'
    if k == 'noise':
        return 'a burst of noise'
    if k == 'beeps':
        return f"{NUM[s['count']]} beeps"
    return f"a voice saying {s['word']}"


ACT_PHRASE = {'still': 'standing still', 'walking': 'walking', 'running': 'running', 'jumping': 'jumping',
              'turning': 'turning around'}


def caption(s):
    """Short lower-case description (the CLIP-style text and the LM's in-context description)."""
    m = s['mod']
    if m == 'image':
        c = _things(s)
        return c + (' ' + POS_PHRASE[s['position']] if 'position' in s else '')
    if m == 'video':
        return f"a {s['colour']} {s['shape']} {MOVE[s['direction']]}"
    if m == 'audio':
        return sound_phrase(s)
    if m == 'thermal':
        n = s['count']
        noun = s['shape'] if n == 1 else PLURAL[s['shape']]
        return f"a thermal image of {'one' if n == 1 else NUM[n]} hot {noun}"
    if m == 'depth':
        n = s['count']
        noun = s['shape'] if n == 1 else PLURAL[s['shape']]
        return f"a depth map of {'a' if n == 1 else NUM[n]} {noun} {'near the camera' if s['distance'] == 'near' else 'far away'}"
    if m == 'imu':
        return f"a person {ACT_PHRASE[s['activity']]}"
    if m == 'unknown':
        return 'something i do not know'
    raise ValueError(m)


def cap(x):
    return x[0].upper() + x[1:]


# question templates per (modality, type); answers are built from the spec
Q = {
    'colour': ['What colour is the shape?', 'What color is it?', 'Which colour do you see?', 'What is the colour of the object?',
               'What color are the shapes?'],
    'shape': ['What shape is this?', 'What shape do you see?', 'Which shape is in the picture?', 'What kind of shape is it?'],
    'count': ['How many shapes are there?', 'How many objects do you see?', 'Count the shapes.', 'How many are there?'],
    'size': ['Is the shape big or small?', 'How big is it?', 'What size are the shapes?'],
    'position': ['Where is the shape?', 'Where is it in the picture?', 'Where is the object?'],
    'describe': ['Describe this image.', 'What is in the picture?', 'What do you see?', 'Describe this.', 'What is this?'],
    'motion': ['Which way is it moving?', 'Where is the shape going?', 'In which direction does it move?', 'How does it move?'],
    'vdescribe': ['Describe this video.', 'What happens in the video?', 'What do you see?', 'Describe this.'],
    'sound': ['What do you hear?', 'What sound is this?', 'Describe this sound.', 'Describe this audio.', 'What is this?'],
    'pitch': ['Is the pitch high or low?', 'What pitch is the tone?', 'How high is the sound?', 'Is it a high or a low sound?'],
    'beeps': ['How many beeps are there?', 'How many beeps do you hear?', 'Count the beeps.'],
    'word': ['What word is spoken?', 'What does the voice say?', 'Which word do you hear?'],
    'chirp': ['Does the pitch go up or down?', 'Is the chirp rising or falling?'],
    'tshape': ['What shape is the hot object?', 'What shape is warm?', 'What shape do you see?'],
    'tcount': ['How many hot objects are there?', 'How many warm things do you see?', 'How many shapes are there?'],
    'tdescribe': ['Describe this thermal image.', 'What is in this heat map?', 'Describe this.', 'What do you see?'],
    'dshape': ['What shape is the object?', 'What shape do you see?', 'Which shape is in front of the wall?'],
    'distance': ['Is the object near or far?', 'How far away is it?', 'Is it close to the camera?'],
    'ddescribe': ['Describe this depth map.', 'Describe this.', 'What do you see?'],
    'activity': ['What is the person doing?', 'What activity is this?', 'Describe the motion.', 'What is happening?'],
    'both': ['What do you see and hear?', 'Describe the picture and the sound.', 'What is shown and what sound is there?'],
}

SYN = {'center': ['center', 'centre', 'middle'], 'up': ['up', 'rising'], 'down': ['down', 'falling'],
       'left': ['left'], 'right': ['right'], 'top': ['top'], 'bottom': ['bottom'],
       'near': ['near', 'close'], 'far': ['far'], 'turning': ['turning'], 'still': ['still']}


def syn(w):
    return SYN.get(w, [w])


def qtypes(s):
    m = s['mod']
    if m == 'image':
        return ['colour', 'shape', 'count', 'size'] + (['position'] if 'position' in s else []) + ['describe']
    if m == 'video':
        return ['colour', 'shape', 'motion', 'vdescribe']
    if m == 'audio':
        extra = {'tone': ['pitch'], 'beeps': ['beeps'], 'word': ['word'], 'chirp': ['chirp']}.get(s['kind'], [])
        return ['sound'] + extra
    if m == 'thermal':
        return ['tshape', 'tcount', 'tdescribe']
    if m == 'depth':
        return ['dshape', 'distance', 'ddescribe']
    if m == 'imu':
        return ['activity']
    if m == 'unknown':
        return ['unknown']
    raise ValueError(m)


def answer(s, qt, rng):
    """(answer text, required attribute word groups) for a question type."""
    n = s.get('count', 1)
    one = n == 1
    if qt == 'colour':
        a = rng.choice([f"It is {s['colour']}.", f"The shape is {s['colour']}."] if one else
                       [f"They are {s['colour']}.", f"The shapes are {s['colour']}."])
        return a, [[s['colour']]]
    if qt in ('shape', 'tshape', 'dshape'):
        return (f"It is a {s['shape']}." if one else f"They are {PLURAL[s['shape']]}."), [[s['shape']]]
    if qt in ('count', 'tcount'):
        noun = 'shape' if qt == 'count' else 'hot object'
        a = f"There is one {noun}." if one else f"There are {NUM[n]} {noun}s."
        return a, [[NUM[n], str(n)]]
    if qt == 'size':
        return (f"It is {s['size']}." if one else f"They are {s['size']}."), [[s['size']]]
    if qt == 'position':
        return f"It is {POS_PHRASE[s['position']]}.", [syn(s['position'])]
    if qt == 'describe':
        return cap(caption(s)) + '.', [[s['colour']], [s['shape']]] + ([[NUM[n]]] if n > 1 else [])
    if qt == 'motion':
        return f"It is {MOVE[s['direction']]}.", [syn(s['direction'])]
    if qt == 'vdescribe':
        return cap(caption(s)) + '.', [[s['colour']], [s['shape']], syn(s['direction'])]
    if qt == 'sound':
        return cap(sound_phrase(s)) + '.', sound_key(s)
    if qt == 'pitch':
        return f"The pitch is {s['pitch']}.", [[s['pitch']]]
    if qt == 'beeps':
        return f"There are {NUM[s['count']]} beeps.", [[NUM[s['count']], str(s['count'])]]
    if qt == 'word':
        return f"The voice says {s['word']}.", [[s['word']]]
    if qt == 'chirp':
        return ("The pitch goes up." if s['direction'] == 'up' else "The pitch goes down."), [syn(s['direction'])]
    if qt == 'tdescribe':
        return cap(caption(s)) + '.', [[s['shape']]] + ([[NUM[n]]] if n > 1 else [])
    if qt == 'distance':
        return ("It is near the camera." if s['distance'] == 'near' else "It is far away."), [syn(s['distance'])]
    if qt == 'ddescribe':
        return cap(caption(s)) + '.', [[s['shape']], syn(s['distance'])]
    if qt == 'activity':
        return f"The person is {ACT_PHRASE[s['activity']]}.", [syn(s['activity'])]
    if qt == 'unknown':
        return UNKNOWN_ANSWER, [['only know']]
    raise ValueError(qt)


def sound_key(s):
    k = s['kind']
    if k == 'tone':
        return [[s['pitch']], ['tone']]
    if k == 'chirp':
        return [syn(s['direction']), ['chirp']]
    if k == 'noise':
        return [['noise']]
    if k == 'beeps':
        return [[NUM[s['count']]], ['beep']]
    return [[s['word']]]


def both_answer(img, aud):
    """Image + audio together (multimodal arithmetic)."""
    return f"I see {caption(img)} and hear {sound_phrase(aud)}.", [[img['colour']], [img['shape']]] + sound_key(aud)


# Out-of-world media are asked what the world's media are asked (and a few open questions).
Q_UNKNOWN = {'image': sum((Q[t] for t in ('colour', 'shape', 'count', 'position', 'describe')), []) + ['What is in this photo?'],
             'audio': sum((Q[t] for t in ('sound', 'pitch', 'word', 'beeps')), []) + ['What is playing?']}


def ask(s, rng, qt=None):
    qt = qt or rng.choice(qtypes(s))
    q = rng.choice(Q_UNKNOWN[s['src']] if qt == 'unknown' else Q[qt])
    a, key = answer(s, qt, rng)
    return qt, q, a, key


def is_correct(text, key):
    """Every group has one of its words in the answer as a whole word or its plural (case-insensitive);
    the same rule as `npm run eval-nano` (cli/eval-nano.ts)."""
    import re
    words = set(re.findall(r'[a-z0-9]+', text.lower()))
    words |= {w[:-1] for w in words if w.endswith('s')}  # a plural names the thing too (stars, beeps)
    return all(any(all(p in words for p in w.lower().split()) for w in group) for group in key)


def write_wav(path, y, sr=SR):
    with wave.open(path, 'wb') as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sr)
        f.writeframes((np.clip(y, -1, 1) * 32767).astype('<i2').tobytes())


def write_mp4(path, frames, fps=8, crf=12):
    h, w = frames.shape[1:3]
    subprocess.run(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{w}x{h}', '-r', str(fps),
                    '-i', '-', '-c:v', 'libx264', '-preset', 'medium', '-crf', str(crf), '-pix_fmt', 'yuv420p', path],
                   input=frames.tobytes(), check=True)


def write_imu_csv(path, a):
    with open(path, 'w') as f:
        f.write('ax,ay,az,gx,gy,gz\n')
        for r in a:
            f.write(','.join(f'{v:.4f}' for v in r) + '\n')


# ------------------------------------------------------------------ domain randomisation (training only)
# The renderers above draw the world's canonical look (dark background, mid-size shapes). Users draw
# on white canvases, photograph shapes on desks, whistle quietly into a laptop microphone: the
# training split mixes in the variations below so the encoders learn the attributes, not the look.
# (The wild TEST set has its own generator, training/wild.py, which shares none of this code.)

def _smooth_noise(rng, size=224, beta=2.0):
    """1/f^(beta/2) noise in [0,1] (natural-image-like power spectrum)."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    f = np.sqrt(fx ** 2 + fy ** 2)
    f[0, 0] = 1.0
    spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** (beta / 2)
    spec[0, 0] = 0
    a = np.fft.irfft2(spec, s=(size, size))
    return (a - a.min()) / (a.max() - a.min() + 1e-9)


def wild_background(rng):
    """(224,224,3) float RGB: white, light, dark, two-colour gradient, noise, texture or stripes."""
    kind = rng.choice(['white', 'light', 'dark', 'gradient', 'noise', 'texture', 'stripes'],
                      p=[0.22, 0.18, 0.12, 0.16, 0.1, 0.14, 0.08])
    g = np.linspace(-1, 1, 224)
    if kind == 'white':
        return np.full((224, 224, 3), rng.uniform(225, 255)) + rng.uniform(-6, 6, 3)
    if kind == 'light':
        return np.full((224, 224, 3), rng.uniform(160, 225)) + rng.uniform(-25, 25, 3)
    if kind == 'dark':
        return np.full((224, 224, 3), rng.uniform(0, 60)) + rng.uniform(-10, 10, 3)
    if kind == 'gradient':
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        ang = rng.uniform(0, 2 * np.pi)
        t = np.clip((np.cos(ang) * g[None, :] + np.sin(ang) * g[:, None]) * 0.5 + 0.5, 0, 1)[..., None]
        return a * (1 - t) + b * t
    if kind == 'noise':
        return rng.uniform(40, 215) + rng.normal(0, rng.uniform(10, 35), (224, 224, 3))
    if kind == 'texture':
        base, amp = rng.uniform(40, 220, 3), rng.uniform(30, 90)
        return base + (_smooth_noise(rng)[..., None] - 0.5) * amp * rng.uniform(0.5, 1.5, 3)
    period = rng.uniform(8, 40)
    ang = rng.uniform(0, np.pi)
    s = np.sin((np.cos(ang) * np.arange(224)[None, :] + np.sin(ang) * np.arange(224)[:, None]) * 2 * np.pi / period)
    a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    t = (s[..., None] > 0).astype(np.float32)
    return a * (1 - t) * 0.5 + b * t * 0.5 + (a + b) * 0.25


def _region(cx, cy):
    """The world's position word for an object centre (224 frame), or None where it is ambiguous."""
    dx, dy = cx - 112, cy - 112
    if abs(dx) < 24 and abs(dy) < 24:
        return 'center'
    if abs(dx) > 44 and abs(dy) < 0.45 * abs(dx):
        return 'left' if dx < 0 else 'right'
    if abs(dy) > 44 and abs(dx) < 0.45 * abs(dy):
        return 'top' if dy < 0 else 'bottom'
    return None


def wild_layout(spec, rng):
    """Objects anywhere, 10-95 % of the frame for one shape (edges may clip up to ~1/4 of it)."""
    n = spec['count']
    small = spec['size'] == 'small'
    if n == 1:
        r = rng.uniform(13, 26) if small else rng.uniform(32, 95)
        if 'position' in spec and rng.random() < 0.6:
            cx, cy = POSITIONS[spec['position']]
            m = 22 if spec['position'] == 'center' else 40
            cx, cy = cx + rng.uniform(-m, m) * 0.5, cy + rng.uniform(-m, m) * 0.5
        else:
            lo, hi = r * 0.55, 224 - r * 0.55
            if lo >= hi:
                lo = hi = 112
            cx, cy = rng.uniform(lo, hi), rng.uniform(lo, hi)
        return [(cx, cy, r, spec['shape'], rng.uniform(0, 360))]
    objs, tries = [], 0
    while len(objs) < n:
        tries += 1
        r = rng.uniform(13, 26) if small else rng.uniform(28, 40)
        cx, cy = rng.uniform(r * 0.8, 224 - r * 0.8), rng.uniform(r * 0.8, 224 - r * 0.8)
        if all((cx - o[0]) ** 2 + (cy - o[1]) ** 2 > (1.2 * (r + o[2]) + 4) ** 2 for o in objs) or tries > 800:
            objs.append((cx, cy, r, spec['shape'], rng.uniform(0, 360)))
    return objs


def _contrast_ok(bg, col, objs):
    m = Image.new('L', (224, 224), 0)
    draw_objects(ImageDraw.Draw(m), objs, [255] * len(objs))
    mask = np.asarray(m) > 127
    if not mask.any():
        return False
    under = bg[mask].mean(0)
    return np.abs(under - col).mean() > 65 and np.abs(bg.mean((0, 1)) - col).mean() > 55


def render_rgb_wild(spec, rng):
    """A training image of the spec with a randomised look; returns (uint8 224x224x3, objs, spec).
    The spec's position is re-derived from where the single shape really ended up."""
    spec = dict(spec)
    objs = wild_layout(spec, rng)
    if spec['count'] == 1:
        pos = _region(objs[0][0], objs[0][1])
        spec.pop('position', None)
        if pos:
            spec['position'] = pos
    col = np.array(COLOURS[spec['colour']], np.float64)
    for _ in range(30):
        bg = wild_background(rng)
        if _contrast_ok(np.clip(bg, 0, 255), col, objs):
            break
    else:
        bg = np.full((224, 224, 3), 30.0 if col.mean() > 128 else 235.0)
    ss = 2 if rng.random() < 0.5 else 1  # supersampled (anti-aliased) like a downscaled photo
    big = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), 'RGB').resize((224 * ss, 224 * ss), Image.BILINEAR)
    fill = tuple(int(v) for v in np.clip(col + rng.integers(-25, 26, 3), 0, 255))
    d = ImageDraw.Draw(big)
    outline = rng.random() < 0.25
    for (cx, cy, r, shape, rot) in objs:
        o = (cx * ss, cy * ss, r * ss, shape, rot)
        if outline:
            w = max(2, int(r * ss * rng.uniform(0.12, 0.25)))
            if shape == 'circle':
                d.ellipse([o[0] - o[2], o[1] - o[2], o[0] + o[2], o[1] + o[2]], outline=fill, width=w)
            else:
                pts = _poly(shape, *o[:3], rot)
                d.line(pts + pts[:2], fill=fill, width=w, joint='curve')
        else:
            draw_objects(d, [o], [fill])
    img = big.resize((224, 224), Image.LANCZOS) if ss > 1 else big
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    a = np.asarray(img).astype(np.float32) + rng.normal(0, rng.uniform(0, 6), (224, 224, 3))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        import io
        buf = io.BytesIO()
        img.save(buf, 'JPEG', quality=int(rng.integers(30, 96)))
        img = Image.open(io.BytesIO(buf.getvalue())).convert('RGB')
    return np.asarray(img).copy(), objs, spec


# The only real photos training sees: the three of the ImageBind fixture (a car, a dog, a bird), as
# random crops with colour changes. The wild set's photos (scikit-image's) are never trained on.
PHOTOS = [os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'pandagpt-tiny', 'media', 'images', f)
          for f in ('car_image.jpg', 'dog_image.jpg', 'bird_image.jpg')]
_PHOTO_CACHE = {}


def photo_crop(rng):
    f = PHOTOS[int(rng.integers(len(PHOTOS)))]
    if f not in _PHOTO_CACHE:
        _PHOTO_CACHE[f] = Image.open(f).convert('RGB')
    im = _PHOTO_CACHE[f]
    w, h = im.size
    c = int(min(w, h) * rng.uniform(0.25, 1.0))
    x0, y0 = int(rng.integers(0, w - c + 1)), int(rng.integers(0, h - c + 1))
    a = np.asarray(im.crop((x0, y0, x0 + c, y0 + c)).resize((224, 224), Image.BICUBIC)).astype(np.float32)
    if rng.random() < 0.5:
        a = a[:, ::-1]
    if rng.random() < 0.2:
        a = a.mean(-1, keepdims=True).repeat(3, -1)
    a = a[..., rng.permutation(3)] if rng.random() < 0.5 else a  # other colours, same structure
    return a * rng.uniform(0.6, 1.3) + rng.uniform(-30, 30, 3)


def render_ood_image(rng):
    """Something outside the world: crops of real photos, natural-statistics textures, clutter of
    many colours and shapes, blobs; never one clean coloured shape."""
    kind = rng.choice(['photo', 'photo', 'texture', 'clutter', 'blobs', 'scene'])
    if kind == 'photo':
        return np.clip(photo_crop(rng) + rng.normal(0, 3, (224, 224, 3)), 0, 255).astype(np.uint8)
    if kind == 'texture':
        a = np.stack([_smooth_noise(rng, beta=rng.uniform(1.6, 2.6)) for _ in range(3)], -1) * 255
    else:
        img = Image.fromarray(np.clip(wild_background(rng), 0, 255).astype(np.uint8))
        d = ImageDraw.Draw(img)
        if kind == 'scene':  # horizon, ground and sky-like bands, a few irregular objects
            h = int(rng.uniform(60, 160))
            d.rectangle([0, h, 224, 224], fill=tuple(int(v) for v in rng.uniform(20, 200, 3)))
            n = int(rng.integers(3, 8))
        else:
            n = int(rng.integers(8, 40))
        for _ in range(n):
            c = tuple(int(v) for v in rng.uniform(0, 255, 3))
            pts = [(float(x), float(y)) for x, y in rng.uniform(-20, 244, (int(rng.integers(3, 9)), 2))]
            if kind == 'blobs':
                x, y, r = rng.uniform(0, 224), rng.uniform(0, 224), rng.uniform(5, 50)
                d.ellipse([x - r, y - r * rng.uniform(0.4, 1), x + r, y + r], fill=c)
            else:
                d.polygon(pts, fill=c)
        a = np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 2)))).astype(np.float32)
        a = a + (_smooth_noise(rng)[..., None] - 0.5) * rng.uniform(0, 80)
    return np.clip(a + rng.normal(0, 4, a.shape), 0, 255).astype(np.uint8)


def wild_audio(y, rng):
    """A rendered 2 s clip made to sound like a user's file: any loudness, band-limited like a low
    sample rate, background noise or hum, sometimes shorter than 2 s (the clip is then padded)."""
    n = len(y)
    if rng.random() < 0.3:  # a short file: keep the part that holds the sound
        nz = np.nonzero(np.abs(y) > 0.02 * np.abs(y).max())[0]
        if len(nz):
            a, b = nz[0], nz[-1] + 1
            a, b = max(0, a - int(rng.uniform(0, 0.1) * SR)), min(n, b + int(rng.uniform(0, 0.1) * SR))
            y = y[a:b]
    y = y / (np.abs(y).max() + 1e-6)
    if rng.random() < 0.35:  # band limit of 8 / 11 kHz recordings
        import torch
        import preprocess as P
        sr = int(rng.choice([8000, 11025]))
        w = torch.from_numpy(y.astype(np.float32))[None]
        y = P.resample(P.resample(w, SR, sr), sr, SR)[0].numpy()[:len(y)]
    y = y * rng.uniform(0.05, 1.0)
    t = np.arange(len(y)) / SR
    kind = rng.choice(['white', 'pink', 'hum', 'none'], p=[0.35, 0.25, 0.2, 0.2])
    rms = np.sqrt((y ** 2).mean()) + 1e-9
    snr = 10 ** (-rng.uniform(10, 35) / 20)
    if kind == 'white':
        y = y + rng.normal(0, rms * snr, len(y))
    elif kind == 'pink':
        p = np.cumsum(rng.normal(0, 1, len(y)))
        p = p - np.convolve(p, np.ones(400) / 400, 'same')
        y = y + p / (p.std() + 1e-9) * rms * snr
    elif kind == 'hum':
        f = rng.choice([50, 60])
        y = y + rms * snr * 1.4 * (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(6 * np.pi * f * t))
    return np.clip(y, -1, 1).astype(np.float32)


SENTENCES = ['i think we should leave early tomorrow', 'could you pass me the salt please', 'the train was late again this morning',
             'my brother lives in a small town by the sea', 'we had pasta for dinner last night', 'the meeting starts at ten',
             'she plays the violin every evening', 'turn left at the next corner', 'this book is really interesting',
             'the children are playing in the garden', 'it might rain later today', 'please call me when you arrive',
             'he bought a new bicycle last week', 'the coffee is too hot to drink', 'our team won the match on sunday']


def ood_audio(rng):
    """Sounds outside the world (2 s, 16 kHz): sentences of speech or music (chords, melodies, drums)."""
    n = 2 * SR
    y = np.zeros(n, np.float32)
    t = np.arange(n) / SR
    kind = rng.choice(['speech', 'music', 'music'])
    if kind == 'speech':
        voices = ['en', 'en+m1', 'en+m3', 'en+f1', 'en+f3', 'en-us', 'en-us+m2', 'en+m7']
        s = SENTENCES[int(rng.integers(len(SENTENCES)))]
        w = speech(s, int(rng.integers(len(voices))), 'train')
        if len(w) > n:
            a0 = int(rng.integers(0, len(w) - n))
            w = w[a0:a0 + n]
        a = int(rng.uniform(0, n - len(w))) if len(w) < n else 0
        y[a:a + len(w)] = w
    else:
        notes = 220 * 2 ** (rng.integers(-12, 16, 8) / 12)
        beat = rng.uniform(0.15, 0.4)
        k = 0
        while k * beat < 2:
            a = int(k * beat * SR)
            L = min(n - a, int(beat * SR * rng.uniform(1, 3)))
            tt = np.arange(L) / SR
            chord = notes[rng.integers(0, 8, int(rng.integers(1, 4)))]
            env = np.exp(-tt * rng.uniform(2, 8))
            for f0 in chord:
                for h in range(1, 5):
                    y[a:a + L] += env * np.sin(2 * np.pi * f0 * h * tt) / h ** rng.uniform(1, 2)
            if rng.random() < 0.4:  # a drum hit
                D_ = min(L, int(0.08 * SR))
                y[a:a + D_] += rng.normal(0, 1.5, D_) * np.exp(-np.arange(D_) / (0.015 * SR))
            k += 1
    y = y / (np.abs(y).max() + 1e-6) * rng.uniform(0.2, 0.8)
    return np.clip(y + rng.normal(0, 0.003, n), -1, 1).astype(np.float32)


# Out of the world: the same answer to any question about it.
UNKNOWN_ANSWER = 'I do not know what this is. I only know my small world of shapes, colours and simple sounds.'


def unknown_spec(src):
    return {'mod': 'unknown', 'src': src}


def render_video_wild(spec, rng):
    """The first and last frame of a 2 s clip (all ImageBind keeps of it) with a randomised look:
    any background, size and travel. Returns ((2,224,224,3) uint8, displacement (dx, dy) / 112)."""
    d = spec['direction']
    r = rng.uniform(18, 48)
    travel = rng.uniform(45, 150)
    c = rng.uniform(70, 154)
    vec = {'left': (-1, 0), 'right': (1, 0), 'up': (0, -1), 'down': (0, 1), 'none': (0, 0)}[d]
    mid = 112 + rng.uniform(-20, 20)
    p0 = (mid - vec[0] * travel / 2, c) if vec[0] else (c, mid - vec[1] * travel / 2)
    p1 = (p0[0] + vec[0] * travel, p0[1] + vec[1] * travel)
    if d == 'none':
        p0 = p1 = (rng.uniform(60, 164), rng.uniform(60, 164))
    col = np.array(COLOURS[spec['colour']], np.float64)
    objs = [(p0[0], p0[1], r, spec['shape'], 0), (p1[0], p1[1], r, spec['shape'], 0)]
    for _ in range(30):
        bg = np.clip(wild_background(rng), 0, 255)
        if _contrast_ok(bg, col, objs):
            break
    else:
        bg = np.full((224, 224, 3), 30.0 if col.mean() > 128 else 235.0)
    fill = tuple(int(v) for v in np.clip(col + rng.integers(-25, 26, 3), 0, 255))
    rot = rng.uniform(0, 360)
    blur = rng.uniform(0.3, 1.2) if rng.random() < 0.4 else 0
    frames = []
    for (x, y) in (p0, p1):
        img = Image.fromarray(bg.astype(np.uint8), 'RGB')
        draw_objects(ImageDraw.Draw(img), [(x, y, r, spec['shape'], rot)], [fill])
        if blur:
            img = img.filter(ImageFilter.GaussianBlur(blur))
        a = np.asarray(img).astype(np.float32) + rng.normal(0, 3.0, (224, 224, 3))
        frames.append(np.clip(a, 0, 255).astype(np.uint8))
    return np.stack(frames), ((p1[0] - p0[0]) / 112, (p1[1] - p0[1]) / 112)
