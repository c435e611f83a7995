"""Writes the trained weights in the real checkpoint layouts (spec §2.5, §8), like the pandagpt-tiny fixture:

  out/imagebind/imagebind.pth + config.json     ImageBindModel state_dict, fp32, strict key layout
  out/vicuna/                                   HF LLaMA-1 dir: 2 fp16 shards + index, tokenizer files
  out/pandagpt/pytorch_model.pt                 delta: OrderedDict of fp16 Parameters (LoRA q/k/v/o + llama_proj)
  out/pandagpt-zeroshot/pytorch_model.pt        the same after the image-only stage (for zero-shot numbers)
"""
import json
import math
import os
import shutil
from collections import OrderedDict

import torch

from models import ImageBindTiny, imagebind_state_dict

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('NANO_OUT') or os.path.join(HERE, 'out')  # NANO_OUT: e.g. a smoke run's scratch dir
FIXTURE = os.path.join(HERE, '..', 'test', 'fixtures', 'pandagpt-tiny')
PROJS = ('q', 'k', 'v', 'o')
DELTA_PREFIX = 'llama_model.base_model.model.model.layers'


def export_imagebind(ib_state, cfg):
    ib = ImageBindTiny(cfg)
    ib.load_state_dict(ib_state, strict=True)
    sd = imagebind_state_dict(ib)
    d = os.path.join(OUT, 'imagebind')
    os.makedirs(d, exist_ok=True)
    torch.save(sd, os.path.join(d, 'imagebind.pth'))
    heads = {k: v for k, v in cfg.items()}
    scales = {k: float(v) for k, v in sd.items() if k.endswith('log_logit_scale')}
    conf = {
        'class': 'ImageBindModel (PandaGPT code/model/ImageBind/models/imagebind_model.py)',
        'constructor_kwargs': heads,
        'out_embed_dim': cfg['out_embed_dim'],
        'dtype': 'float32',
        'log_logit_scale': scales,
        'logit_scale_effective': {k: min(math.exp(v), 100.0) for k, v in scales.items()},
        'notes': ['PandaGPT-nano: trained by training/train.py on the synthetic world (see training/README.md).',
                  'imagebind.pth is torch.save(state_dict) with the real ImageBindModel key layout; load_state_dict(strict=True).',
                  'Heads per modality are listed here because they cannot be inferred from tensor shapes.'],
    }
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(conf, f, indent=2)
    shutil.copy(os.path.join(FIXTURE, 'imagebind', 'bpe_simple_vocab_16e6.txt.gz'), d)


def llama_hf_state(llm_state, cfg):
    """HF LLaMA keys in HF order, fp16, with the 4.28-era rotary inv_freq buffer per layer."""
    H, h = cfg['hidden_size'], cfg['num_attention_heads']
    hd = H // h
    inv = (1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))).half()
    sd = OrderedDict()
    sd['model.embed_tokens.weight'] = llm_state['embed_tokens.weight']
    for i in range(cfg['num_hidden_layers']):
        p = f'layers.{i}.'
        q = f'model.layers.{i}.'
        for x in PROJS:
            sd[q + f'self_attn.{x}_proj.weight'] = llm_state[p + f'{x}_proj.weight']
        sd[q + 'self_attn.rotary_emb.inv_freq'] = inv
        sd[q + 'mlp.gate_proj.weight'] = llm_state[p + 'gate_proj.weight']
        sd[q + 'mlp.down_proj.weight'] = llm_state[p + 'down_proj.weight']
        sd[q + 'mlp.up_proj.weight'] = llm_state[p + 'up_proj.weight']
        sd[q + 'input_layernorm.weight'] = llm_state[p + 'input_layernorm.weight']
        sd[q + 'post_attention_layernorm.weight'] = llm_state[p + 'post_attention_layernorm.weight']
    sd['model.norm.weight'] = llm_state['norm.weight']
    sd['lm_head.weight'] = llm_state['lm_head']
    return OrderedDict((k, v.detach().clone().half().contiguous()) for k, v in sd.items())


def export_vicuna(llm_state, cfg):
    d = os.path.join(OUT, 'vicuna')
    os.makedirs(d, exist_ok=True)
    sd = llama_hf_state(llm_state, cfg)
    keys = list(sd.keys())
    # two shards like a converted Vicuna: embeddings + most layers, then the rest + lm_head
    cut = keys.index(f"model.layers.{cfg['num_hidden_layers'] - 1}.mlp.down_proj.weight")
    shards = [keys[:cut], keys[cut:]]
    names = [f'pytorch_model-0000{i + 1}-of-00002.bin' for i in range(2)]
    weight_map = {}
    for ks, name in zip(shards, names):
        torch.save(OrderedDict((k, sd[k]) for k in ks), os.path.join(d, name))
        for k in ks:
            weight_map[k] = name
    total = sum(v.numel() * v.element_size() for v in sd.values())
    with open(os.path.join(d, 'pytorch_model.bin.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
    conf = {'architectures': ['LlamaForCausalLM'], 'bos_token_id': 1, 'eos_token_id': 2, 'hidden_act': 'silu',
            'hidden_size': cfg['hidden_size'], 'initializer_range': 0.02, 'intermediate_size': cfg['intermediate_size'],
            'max_position_embeddings': 2048, 'model_type': 'llama', 'num_attention_heads': cfg['num_attention_heads'],
            'num_hidden_layers': cfg['num_hidden_layers'], 'pad_token_id': 0, 'rms_norm_eps': 1e-06,
            'tie_word_embeddings': False, 'torch_dtype': 'float16', 'transformers_version': '4.28.0.dev0',
            'use_cache': True, 'vocab_size': 32001}
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(conf, f, indent=2)
    for name in ('tokenizer.model', 'special_tokens_map.json', 'tokenizer_config.json', 'added_tokens.json',
                 'generation_config.json'):
        shutil.copy(os.path.join(FIXTURE, 'vicuna', name), d)


def delta_state(delta, cfg):
    sd = OrderedDict()
    llm = delta['llm']
    for i in range(cfg['num_hidden_layers']):
        for x in PROJS:
            for ab in ('A', 'B'):
                sd[f'{DELTA_PREFIX}.{i}.self_attn.{x}_proj.lora_{ab}.default.weight'] = llm[f'layers.{i}.{x}_proj.lora_{ab}']
    sd['llama_proj.weight'] = delta['proj']['weight']
    sd['llama_proj.bias'] = delta['proj']['bias']
    return OrderedDict((k, torch.nn.Parameter(v.detach().clone().half().contiguous())) for k, v in sd.items())


def export_delta(delta, cfg, sub, r, alpha):
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    torch.save(delta_state(delta, cfg), os.path.join(d, 'pytorch_model.pt'))
    with open(os.path.join(d, 'README.txt'), 'w') as f:
        f.write(f'PandaGPT-nano delta ({sub}).\nLoRA r = {r}, lora_alpha = {alpha}, scaling = {alpha / r:g}.\n'
                'Target modules: q_proj, k_proj, v_proj, o_proj of every layer.\n'
                f"llama_proj: Linear({delta['proj']['weight'].shape[1]} -> {delta['proj']['weight'].shape[0]}, bias=True).\n"
                'Format: torch.save(OrderedDict of fp16 torch.nn.Parameter), keys as PandaGPT saves them.\n')


def export_all(ib_state, llm_state, delta_zs, delta_final, ib_cfg, llm_cfg, r, alpha):
    export_imagebind(ib_state, ib_cfg)
    export_vicuna(llm_state, llm_cfg)
    export_delta(delta_final, llm_cfg, 'pandagpt', r, alpha)
    export_delta(delta_zs, llm_cfg, 'pandagpt-zeroshot', r, alpha)
    print('exported to', OUT)
