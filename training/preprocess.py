"""The spec's preprocessing (§3), so that training sees exactly what the runtime computes from files.

Image: PIL RGB -> Resize(224, bicubic) -> CenterCrop -> /255 -> CLIP mean/std.
Video: first/last frame of each 2 s clip, bilinear short-side scale, CLIP mean/std, 3 spatial crops.
Audio: Kaldi fbank (torchaudio.compliance.kaldi semantics, written out here), 3 clips of 2 s.
Thermal: PIL L -> Resize/CenterCrop -> /255 (no mean/std).
Depth: uint16 PNG / 1000 (metres), 224x224, no normalisation (fixture convention).
IMU: first 2000 CSV rows, transposed to (6,2000), no normalisation.
"""
import math
import subprocess
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073])
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711])


def _resize_crop(img):
    w, h = img.size
    if min(w, h) != 224 or max(w, h) != 224:
        if w <= h:
            nw, nh = 224, int(224 * h / w)
        else:
            nw, nh = int(224 * w / h), 224
        img = img.resize((nw, nh), Image.BICUBIC)
        w, h = img.size
        top, left = int(round((h - 224) / 2)), int(round((w - 224) / 2))
        img = img.crop((left, top, left + 224, top + 224))
    return img


def norm_rgb_uint8(arr):
    """(N,224,224,3) uint8 -> (N,3,224,224) float normalised; used for in-memory training images
    that are generated at 224x224 (Resize/CenterCrop are identities there)."""
    t = torch.from_numpy(np.array(arr, copy=True)).permute(0, 3, 1, 2).float() / 255.0
    return (t - CLIP_MEAN[None, :, None, None]) / CLIP_STD[None, :, None, None]


def load_image(path):
    img = _resize_crop(Image.open(path).convert('RGB'))
    return norm_rgb_uint8(np.asarray(img)[None])[0]  # (3,224,224)


def load_thermal(path):
    img = _resize_crop(Image.open(path).convert('L'))
    return torch.from_numpy(np.asarray(img).copy()).float()[None] / 255.0  # (1,224,224)


def load_depth(path):
    a = np.asarray(Image.open(path)).astype(np.float32) / 1000.0
    return torch.from_numpy(a)[None]  # (1,224,224) metres


def load_imu(path):
    rows = [l.split(',') for l in open(path).read().strip().split('\n')[1:2001]]
    a = np.array([[float(v) for v in r] for r in rows], dtype=np.float32)
    return torch.from_numpy(a.T.copy())  # (6,2000)


# ------------------------------------------------------------------ video

def decode_video(path):
    """All frames as (N,H,W,3) uint8 plus fps (ffmpeg, RGB24)."""
    probe = subprocess.run(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries',
                            'stream=width,height,avg_frame_rate', '-of', 'csv=p=0', path],
                           capture_output=True, text=True, check=True).stdout.strip().split(',')
    w, h = int(probe[0]), int(probe[1])
    num, den = probe[2].split('/')
    fps = float(num) / float(den)
    raw = subprocess.run(['ffmpeg', '-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return frames, fps


def video_clip_pairs(frames, fps):
    """Spec §3.2 steps 2-4: 5 clips of 2 s -> (first, last) frame index of each."""
    n = len(frames)
    dur = Fraction(n) / Fraction(fps).limit_denominator(100000)
    max_start = max(dur - 2, 0)
    out = []
    for k in range(5):
        s = max_start * k / 4
        e = s + 2
        i0 = math.ceil(fps * float(s))
        i1 = min(math.ceil(fps * float(e)), n) - 1
        out.append((i0, i1))
    return out


def video_tensor(frames, fps):
    """(15,3,2,224,224): clip-major, 3 crops each."""
    clips = []
    for i0, i1 in video_clip_pairs(frames, fps):
        x = torch.from_numpy(frames[[i0, i1]].copy()).float().permute(3, 0, 1, 2) / 255.0  # (C,T,H,W)
        C, T, H, W = x.shape
        if W < H:
            nw, nh = 224, int(math.floor(H / W * 224))
        else:
            nh, nw = 224, int(math.floor(W / H * 224))
        x = F.interpolate(x, size=(nh, nw), mode='bilinear', align_corners=False)
        x = (x - CLIP_MEAN[:, None, None, None]) / CLIP_STD[:, None, None, None]
        for c in range(3):
            if nw >= nh:
                L = nw
                off = [0, math.ceil((L - 224) / 2), L - 224][c]
                y0 = math.ceil((nh - 224) / 2)
                clips.append(x[:, :, y0:y0 + 224, off:off + 224])
            else:
                L = nh
                off = [0, math.ceil((L - 224) / 2), L - 224][c]
                x0 = math.ceil((nw - 224) / 2)
                clips.append(x[:, :, off:off + 224, x0:x0 + 224])
    return torch.stack(clips)


def load_video(path):
    frames, fps = decode_video(path)
    return video_tensor(frames, fps)


# ------------------------------------------------------------------ audio (Kaldi fbank)

def _mel(f):
    return 1127.0 * torch.log(1.0 + f / 700.0)


def _mel_banks():
    """torchaudio kaldi get_mel_banks(128, 512, 16000, low 20, high 0 -> 8000), plus a zero Nyquist column."""
    nb, pad, sr = 128, 512, 16000.0
    lo, hi = 20.0, sr / 2
    mlo, mhi = _mel(torch.tensor(lo)), _mel(torch.tensor(hi))
    d = (mhi - mlo) / (nb + 1)
    b = torch.arange(nb, dtype=torch.float32).unsqueeze(1)
    left, center, right = mlo + b * d, mlo + (b + 1) * d, mlo + (b + 2) * d
    mel = _mel((sr / pad) * torch.arange(pad // 2, dtype=torch.float32)).unsqueeze(0)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = torch.clamp(torch.min(up, down), min=0.0)
    return F.pad(banks, (0, 1))  # (128,257)


MEL_BANKS = _mel_banks()
WINDOW = torch.hann_window(400, periodic=False)


def kaldi_fbank(w):
    """w (n,) float32 at 16 kHz -> (frames,128) log-mel, snip_edges, htk_compat, no dither/energy."""
    n = w.shape[0]
    frames = 1 + (n - 400) // 160
    x = w.as_strided((frames, 400), (160, 1)).clone()
    x = x - x.mean(1, keepdim=True)
    prev = torch.cat([x[:, :1], x[:, :-1]], dim=1)
    x = (x - 0.97 * prev) * WINDOW
    x = F.pad(x, (0, 112))
    p = torch.fft.rfft(x).abs().pow(2.0)  # (frames,257)
    m = p @ MEL_BANKS.t()
    return torch.log(torch.clamp(m, min=torch.finfo(torch.float32).eps))


def clip_melspec(w, center=True):
    """One clip (n,) -> (1,128,204) normalised, as ImageBind's waveform2melspec + Normalize
    (center=False: the caller has already removed the mean, over every channel as ImageBind does)."""
    if center:
        w = w - w.mean()
    fb = kaldi_fbank(w).t()  # (128,frames)
    p = 204 - fb.shape[1]
    fb = F.pad(fb, (0, p)) if p > 0 else fb[:, :204]
    return ((fb - (-4.268)) / 9.138)[None]


def resample(w, orig, new=16000):
    """torchaudio.functional.resample defaults (sinc_interp_hann, width 6, rolloff 0.99) on (C,n)."""
    if orig == new:
        return w
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    base = min(orig, new) * 0.99
    width = math.ceil(6 * orig / base)
    idx = torch.arange(-width, width + orig, dtype=torch.float64)[None, None] / orig
    t = torch.arange(0, -new, -1, dtype=torch.float64)[:, None, None] / new + idx
    t = (t * base).clamp(-6, 6)
    win = torch.cos(t * math.pi / 6 / 2) ** 2
    t = t * math.pi
    k = torch.where(t == 0, torch.tensor(1.0, dtype=torch.float64), torch.sin(t) / t) * win * base / orig
    k = k.float()
    C, n = w.shape
    x = F.pad(w.view(C, 1, n), (width, width + orig))
    y = F.conv1d(x, k, stride=orig).transpose(1, 2).reshape(C, -1)
    return y[:, :math.ceil(new * n / orig)]


def read_wav(path):
    """16-bit PCM WAV -> (C,n) float32 in [-1,1], sample rate."""
    import wave
    with wave.open(path, 'rb') as f:
        sr, ch, sw, n = f.getframerate(), f.getnchannels(), f.getsampwidth(), f.getnframes()
        assert sw == 2, 'only 16-bit PCM'
        a = np.frombuffer(f.readframes(n), '<i2').reshape(-1, ch).T.astype(np.float32) / 32768.0
    return torch.from_numpy(a.copy()), sr


def audio_tensor(w, sr):
    """(C,n) -> (3,1,128,204): 3 clips of 2 s (exact fractions); the in-place mean shift is over every
    channel (ImageBind's waveform2melspec), the fbank reads channel 0 (torchaudio's kaldi.fbank)."""
    w = resample(w, sr).clone()
    n = w.shape[1]
    dur = Fraction(n, 16000)
    max_start = max(dur - 2, 0)
    out = []
    for k in range(3):
        s = max_start * k / 2
        e = s + 2
        a, b = int(s * 16000), int(e * 16000)
        clip = w[:, a:b]
        clip -= clip.mean()  # ImageBind mutates the shared buffer; reproduce it
        out.append(clip_melspec(clip[0] + 0.0, center=False))
    return torch.stack(out)


def load_audio(path):
    w, sr = read_wav(path)
    return audio_tensor(w, sr)
