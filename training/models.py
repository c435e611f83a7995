"""Tiny models with the real PandaGPT architecture (spec §2, §5).

Written from the spec, not copied: the module tree is laid out so that `state_dict()` keys equal
the real `imagebind_huge.pth` layout (§2.5) after `imagebind_state_dict()`, and the LLaMA keys equal
HF LLaMA-1 after `llama_state_dict()`.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- ImageBind building blocks

class Attention(nn.Module):
    """nn.MultiheadAttention semantics (self-attention, bias, optional add_bias_kv) with the same
    parameter names, written with plain matmuls because that is ~2x faster on this CPU."""

    def __init__(self, dim, heads, bias_kv):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias_kv:
            self.bias_k = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
            self.bias_v = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        else:
            self.bias_k = None
            self.bias_v = None
        self.out_proj = nn.Linear(dim, dim)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x, mask=None):  # x (B,L,D)
        B, L, D = x.shape
        h = self.heads
        hd = D // h
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).split(D, dim=-1)
        if self.bias_k is not None:
            # the learned extra key/value slot sits at the end (already in projected space)
            k = torch.cat([k, self.bias_k.expand(B, 1, D)], dim=1)
            v = torch.cat([v, self.bias_v.expand(B, 1, D)], dim=1)
            if mask is not None:
                mask = F.pad(mask, (0, 1))
        q = q.view(B, L, h, hd).transpose(1, 2)
        k = k.view(B, -1, h, hd).transpose(1, 2)
        v = v.view(B, -1, h, hd).transpose(1, 2)
        s = (q / math.sqrt(hd)) @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(o)


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class Block(nn.Module):
    def __init__(self, dim, heads, bias_kv):
        super().__init__()
        self.attn = Attention(dim, heads, bias_kv)
        self.norm_1 = nn.LayerNorm(dim, eps=1e-6)
        self.norm_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim)

    def forward(self, x, mask=None):
        x = x + self.attn(self.norm_1(x), mask)
        return x + self.mlp(self.norm_2(x))


class Trunk(nn.Module):
    def __init__(self, dim, blocks, heads, bias_kv, pre_ln=False):
        super().__init__()
        if pre_ln:
            self.pre_transformer_layer = nn.Sequential(nn.LayerNorm(dim, eps=1e-6))
        else:
            self.pre_transformer_layer = None
        self.blocks = nn.ModuleList([Block(dim, heads, bias_kv) for _ in range(blocks)])

    def forward(self, x, mask=None):
        if self.pre_transformer_layer is not None:
            x = self.pre_transformer_layer(x)
        for b in self.blocks:
            x = b(x, mask)
        return x


class PosHelper(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, n, dim) * 0.02)


class Stem(nn.Module):
    def __init__(self, proj, norm_dim=None):
        super().__init__()
        self.proj = proj
        self.norm_layer = nn.LayerNorm(norm_dim) if norm_dim else None  # eps 1e-5 (PyTorch default)


class PadIm2Video(nn.Module):
    def forward(self, x):  # (B,3,H,W) -> (B,3,2,H,W): a still image is two identical frames
        if x.ndim == 4:
            x = x.unsqueeze(2).repeat(1, 1, 2, 1, 1)
        return x


class PatchPre(nn.Module):
    """RGBDT / audio / thermal / depth preprocessor: stem -> tokens -> [LN] -> CLS -> +pos."""

    def __init__(self, stem_name, stem, n_tokens, dim):
        super().__init__()
        self.stem_name = stem_name
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        setattr(self, stem_name, stem)
        self.pos_embedding_helper = PosHelper(n_tokens + 1, dim)

    def forward(self, x):
        stem = getattr(self, self.stem_name)
        t = stem.proj(x).flatten(2).transpose(1, 2)  # (B,N,D) row-major over the patch grid
        if stem.norm_layer is not None:
            t = stem.norm_layer(t)
        t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], dim=1)
        return t + self.pos_embedding_helper.pos_embed


class ImuPre(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, 251, dim) * 0.02)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.imu_stem = Stem(nn.Linear(48, dim, bias=False), dim)

    def forward(self, x):  # (B,6,2000)
        B = x.shape[0]
        t = x.unfold(-1, 8, 8).permute(0, 2, 1, 3).reshape(B, 250, 48)  # feature = channel*8 + step
        t = self.imu_stem.norm_layer(self.imu_stem.proj(t))
        t = torch.cat([self.cls_token.expand(B, -1, -1), t], dim=1)
        return t + self.pos_embed


class TextPre(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, 77, dim) * 0.01)
        self.register_buffer('mask', torch.full((77, 77), float('-inf')).triu(1))
        self.token_embedding = nn.Embedding(49408, dim)
        nn.init.normal_(self.token_embedding.weight, std=0.02)

    def forward(self, ids):
        return self.token_embedding(ids) + self.pos_embed


class Select0(nn.Module):
    def forward(self, x):
        return x[:, 0]


class TextHead(nn.Module):
    def __init__(self, dim, out):
        super().__init__()
        self.proj = nn.Sequential(nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, out, bias=False))

    def forward(self, x, ids):
        return self.proj(x[torch.arange(x.shape[0]), ids.argmax(-1)])  # EOT = largest id


class Normalize(nn.Module):
    def forward(self, x):
        return F.normalize(x, dim=-1)


class LogitScale(nn.Module):
    def __init__(self, value, learnable):
        super().__init__()
        t = torch.tensor(math.log(value))
        if learnable:
            self.log_logit_scale = nn.Parameter(t)
        else:
            self.register_buffer('log_logit_scale', t)

    def forward(self, x):
        return torch.clip(self.log_logit_scale.exp(), max=100) * x


MODALITIES = ['vision', 'text', 'audio', 'depth', 'thermal', 'imu']


class ImageBindTiny(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        o = cfg['out_embed_dim']
        vd, ad, dd, td, id_, xd = (cfg['vision_embed_dim'], cfg['audio_embed_dim'], cfg['depth_embed_dim'],
                                   cfg['thermal_embed_dim'], cfg['imu_embed_dim'], cfg['text_embed_dim'])
        pre = nn.ModuleDict()
        pre['vision'] = PatchPre('rgbt_stem', Stem(nn.Sequential(PadIm2Video(), nn.Conv3d(3, vd, (2, 14, 14), (2, 14, 14), bias=False))), 256, vd)
        pre['text'] = TextPre(xd)
        pre['audio'] = PatchPre('rgbt_stem', Stem(nn.Conv2d(1, ad, 16, 10, bias=False), ad), 228, ad)
        pre['depth'] = PatchPre('depth_stem', Stem(nn.Conv2d(1, dd, 16, 16, bias=False), dd), 196, dd)
        pre['thermal'] = PatchPre('rgbt_stem', Stem(nn.Conv2d(1, td, 16, 16, bias=False), td), 196, td)
        pre['imu'] = ImuPre(id_)
        self.modality_preprocessors = pre
        tr = nn.ModuleDict()
        tr['vision'] = Trunk(vd, cfg['vision_num_blocks'], cfg['vision_num_heads'], False, pre_ln=True)
        tr['text'] = Trunk(xd, cfg['text_num_blocks'], cfg['text_num_heads'], False)
        tr['audio'] = Trunk(ad, cfg['audio_num_blocks'], cfg['audio_num_heads'], True)
        tr['depth'] = Trunk(dd, cfg['depth_num_blocks'], cfg['depth_num_heads'], True)
        tr['thermal'] = Trunk(td, cfg['thermal_num_blocks'], cfg['thermal_num_heads'], True)
        tr['imu'] = Trunk(id_, cfg['imu_num_blocks'], cfg['imu_num_heads'], True)
        self.modality_trunks = tr

        def head(d):
            return nn.Sequential(nn.LayerNorm(d, eps=1e-6), Select0(), nn.Linear(d, o, bias=False))
        hd = nn.ModuleDict()
        hd['vision'] = head(vd)
        hd['text'] = TextHead(xd, o)
        hd['audio'] = head(ad)
        hd['depth'] = head(dd)
        hd['thermal'] = head(td)
        hd['imu'] = nn.Sequential(nn.LayerNorm(id_, eps=1e-6), Select0(), nn.Dropout(0.5), nn.Linear(id_, o, bias=False))
        self.modality_heads = hd
        pp = nn.ModuleDict()
        pp['vision'] = nn.Sequential(Normalize())
        pp['text'] = nn.Sequential(Normalize(), LogitScale(1 / 0.07, True))
        pp['audio'] = nn.Sequential(Normalize(), LogitScale(20.0, False))
        pp['depth'] = nn.Sequential(Normalize(), LogitScale(5.0, False))
        pp['thermal'] = nn.Sequential(Normalize(), LogitScale(10.0, False))
        pp['imu'] = nn.Sequential(Normalize(), LogitScale(5.0, False))
        self.modality_postprocessors = pp

    def head_out(self, m, x):
        """Raw head output (before the postprocessor) for one batch of single clips."""
        t = self.modality_preprocessors[m](x)
        t = self.modality_trunks[m](t, self.modality_preprocessors['text'].mask if m == 'text' else None)
        if m == 'text':
            return self.modality_heads['text'](t, x)
        return self.modality_heads[m](t)

    def panda_embed(self, m, x):
        """What PandaGPT feeds into llama_proj (spec §2.4): vision/audio normalised (audio without
        x20), thermal normalised x10; depth/IMU the full upstream postprocessor."""
        h = F.normalize(self.head_out(m, x), dim=-1)
        if m in ('vision', 'audio'):
            return h
        return self.modality_postprocessors[m][1](h)


IMAGEBIND_DEFAULTS = dict(video_frames=2, kernel_size=[2, 14, 14], audio_kernel_size=16, audio_stride=10,
                          audio_num_mel_bins=128, audio_target_len=204, audio_drop_path=0.1,
                          depth_kernel_size=16, depth_drop_path=0.0, thermal_kernel_size=16,
                          thermal_drop_path=0.0, imu_kernel_size=8, imu_drop_path=0.7)


def imagebind_key_order(cfg):
    """Keys in the order the real ImageBindModel.state_dict() yields them (as in the fixture)."""
    keys = ['modality_preprocessors.vision.cls_token', 'modality_preprocessors.vision.rgbt_stem.proj.1.weight',
            'modality_preprocessors.vision.pos_embedding_helper.pos_embed',
            'modality_preprocessors.text.pos_embed', 'modality_preprocessors.text.mask',
            'modality_preprocessors.text.token_embedding.weight']
    for m, stem in (('audio', 'rgbt_stem'), ('depth', 'depth_stem'), ('thermal', 'rgbt_stem')):
        p = f'modality_preprocessors.{m}.'
        keys += [p + 'cls_token', p + stem + '.proj.weight', p + stem + '.norm_layer.weight',
                 p + stem + '.norm_layer.bias', p + 'pos_embedding_helper.pos_embed']
    p = 'modality_preprocessors.imu.'
    keys += [p + 'pos_embed', p + 'cls_token', p + 'imu_stem.proj.weight', p + 'imu_stem.norm_layer.weight',
             p + 'imu_stem.norm_layer.bias']
    keys += ['modality_trunks.vision.pre_transformer_layer.0.weight', 'modality_trunks.vision.pre_transformer_layer.0.bias']
    for m in ('vision', 'text', 'audio', 'depth', 'thermal', 'imu'):
        for i in range(cfg[f'{m}_num_blocks']):
            p = f'modality_trunks.{m}.blocks.{i}.'
            keys += [p + 'attn.in_proj_weight', p + 'attn.in_proj_bias']
            if m not in ('vision', 'text'):
                keys += [p + 'attn.bias_k', p + 'attn.bias_v']
            keys += [p + 'attn.out_proj.weight', p + 'attn.out_proj.bias', p + 'norm_1.weight', p + 'norm_1.bias',
                     p + 'mlp.fc1.weight', p + 'mlp.fc1.bias', p + 'mlp.fc2.weight', p + 'mlp.fc2.bias',
                     p + 'norm_2.weight', p + 'norm_2.bias']
    keys += ['modality_heads.vision.0.weight', 'modality_heads.vision.0.bias', 'modality_heads.vision.2.weight',
             'modality_heads.text.proj.0.weight', 'modality_heads.text.proj.0.bias', 'modality_heads.text.proj.1.weight']
    for m in ('audio', 'depth', 'thermal'):
        keys += [f'modality_heads.{m}.0.weight', f'modality_heads.{m}.0.bias', f'modality_heads.{m}.2.weight']
    keys += ['modality_heads.imu.0.weight', 'modality_heads.imu.0.bias', 'modality_heads.imu.3.weight']
    keys += [f'modality_postprocessors.{m}.1.log_logit_scale' for m in ('text', 'audio', 'depth', 'thermal', 'imu')]
    return keys


def imagebind_state_dict(model):
    sd = model.state_dict()
    keys = imagebind_key_order(model.cfg)
    assert sorted(keys) == sorted(sd.keys()), set(keys) ^ set(sd.keys())
    from collections import OrderedDict
    return OrderedDict((k, sd[k].detach().clone().float().contiguous()) for k in keys)


# ---------------------------------------------------------------- LLaMA + LoRA

class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class LoraLinear(nn.Module):
    """Frozen base Linear(H,H, no bias) + peft LoRA: y = Wx + (alpha/r)·B(Ax)."""

    def __init__(self, dim, r, alpha):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, dim))
        nn.init.normal_(self.weight, std=0.02)
        self.r = r
        self.scaling = alpha / r if r else 0.0
        if r:
            self.lora_A = nn.Parameter(torch.empty(r, dim))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.lora_B = nn.Parameter(torch.zeros(dim, r))
        self.lora_on = False

    def forward(self, x):
        y = F.linear(x, self.weight)
        if self.lora_on:
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling
        return y


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, H, heads, inter, r, alpha):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (LoraLinear(H, r, alpha) for _ in range(4))
        self.gate_proj = nn.Linear(H, inter, bias=False)
        self.up_proj = nn.Linear(H, inter, bias=False)
        self.down_proj = nn.Linear(inter, H, bias=False)
        for l in (self.gate_proj, self.up_proj, self.down_proj):
            nn.init.normal_(l.weight, std=0.02)
        self.input_layernorm = RMSNorm(H)
        self.post_attention_layernorm = RMSNorm(H)

    def forward(self, x, cos, sin, mask):
        B, L, H = x.shape
        h = self.heads
        hd = H // h
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(B, L, h, hd).transpose(1, 2)
        k = self.k_proj(y).view(B, L, h, hd).transpose(1, 2)
        v = self.v_proj(y).view(B, L, h, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
        x = x + self.o_proj(o)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class LlamaTiny(nn.Module):
    """HF LLaMA-1 forward (rotate_half RoPE, theta 1e4, RMSNorm eps 1e-6, SwiGLU, untied lm_head).

    Training trick (exact, not an approximation): only `used` token ids get trained lm_head rows; every
    other row is kept at exactly zero, so each unused logit is exactly 0 and the full 32001-way softmax
    equals a softmax over the used logits plus one extra logit log(#unused)."""

    def __init__(self, cfg, r, alpha):
        super().__init__()
        H = cfg['hidden_size']
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg['vocab_size'], H)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.layers = nn.ModuleList([LlamaLayer(H, cfg['num_attention_heads'], cfg['intermediate_size'], r, alpha)
                                     for _ in range(cfg['num_hidden_layers'])])
        self.norm = RMSNorm(H)
        self.lm_head = nn.Parameter(torch.zeros(cfg['vocab_size'], H))
        hd = H // cfg['num_attention_heads']
        self.register_buffer('inv_freq', 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)

    def set_lora(self, on):
        for l in self.layers:
            for p in (l.q_proj, l.k_proj, l.v_proj, l.o_proj):
                p.lora_on = on

    def hidden(self, embeds, pad_mask=None):  # embeds (B,L,H); pad_mask (B,L) True = real token
        B, L, _ = embeds.shape
        t = torch.arange(L, dtype=torch.float32)
        f = torch.outer(t, self.inv_freq)
        emb = torch.cat([f, f], dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((L, L), float('-inf')).triu(1)[None, None]
        x = embeds
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)

    def logits_used(self, h, used, n_unused):
        lu = h @ self.lm_head[used].t()
        extra = torch.full(lu.shape[:-1] + (1,), math.log(n_unused))
        return torch.cat([lu, extra], dim=-1)

    def logits_full(self, h):
        return h @ self.lm_head.t()
