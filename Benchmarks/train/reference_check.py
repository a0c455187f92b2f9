"""Checks the trainer against an independent numpy implementation of transformers' Qwen2.

Reads what `train-reference DIR` wrote (model.safetensors, config.json, vocab_map.json, probe.json,
logits.f32), runs each document of the packed probe on its own through a float64 numpy Qwen2
(RMSNorm, q/k/v biases, rotate-half RoPE with rope_theta, repeat_kv grouped-query attention with a
causal mask, SwiGLU, final norm, LM head or tied embeddings), and compares:
  - the logits, position by position (packing must equal running the documents separately);
  - the loss with HF's convention: labels = id where trained else -100, shifted inside each document,
    mean over the labels that are not -100.
It also loads config.json with transformers' Qwen2Config when transformers is importable.

    swift build -c release --package-path Benchmarks/train
    Benchmarks/train/.build/release/train-reference /tmp/ref
    /work/main/.venv/bin/python Benchmarks/train/reference_check.py /tmp/ref
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        b, e = entry["data_offsets"]
        tensors[name] = np.frombuffer(raw[base + b : base + e], dtype="<f4").reshape(entry["shape"]).astype(np.float64)
    return tensors


def rms_norm(x, w, eps):
    return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def forward(t, cfg, rows):
    """Logits for one document (model rows `rows`), positions 0..n-1, causal attention."""
    h = cfg["hidden_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = h // nh
    eps = cfg["rms_norm_eps"]
    n = len(rows)
    x = t["model.embed_tokens.weight"][rows]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (np.arange(0, hd, 2) / hd))
    freqs = np.outer(np.arange(n), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb)[None], np.sin(emb)[None]
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        y = rms_norm(x, t[p + "input_layernorm.weight"], eps)
        q = y @ t[p + "self_attn.q_proj.weight"].T + t[p + "self_attn.q_proj.bias"]
        k = y @ t[p + "self_attn.k_proj.weight"].T + t[p + "self_attn.k_proj.bias"]
        v = y @ t[p + "self_attn.v_proj.weight"].T + t[p + "self_attn.v_proj.bias"]
        q = q.reshape(n, nh, hd).transpose(1, 0, 2)
        k = k.reshape(n, nkv, hd).transpose(1, 0, 2)
        v = v.reshape(n, nkv, hd).transpose(1, 0, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, nh // nkv, axis=0)  # repeat_kv: head i uses kv head i // (nh / nkv)
        v = np.repeat(v, nh // nkv, axis=0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(n, nh * hd)
        x = x + o @ t[p + "self_attn.o_proj.weight"].T
        y = rms_norm(x, t[p + "post_attention_layernorm.weight"], eps)
        g = y @ t[p + "mlp.gate_proj.weight"].T
        u = y @ t[p + "mlp.up_proj.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ t[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, t["model.norm.weight"], eps)
    head = t["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else t["lm_head.weight"]
    return x @ head.T


def main(d):
    t = read_safetensors(d + "/model.safetensors")
    cfg = json.load(open(d + "/config.json"))
    vmap = json.load(open(d + "/vocab_map.json"))
    probe = json.load(open(d + "/probe.json"))
    row_of = {tok: r for r, tok in enumerate(vmap["ids"])}
    assert vmap["ids"] == sorted(set(vmap["ids"])) and len(vmap["ids"]) == cfg["vocab_size"]
    ids, trained, bounds = probe["ids"], probe["trained"], probe["boundaries"]
    v = cfg["vocab_size"]
    swift = np.fromfile(d + "/logits.f32", dtype="<f4").reshape(len(ids), v)
    labels = [tok if f else -100 for tok, f in zip(ids, trained)]
    total, count, worst = 0.0, 0, 0.0
    for a, b in zip(bounds[:-1], bounds[1:]):
        logits = forward(t, cfg, [row_of[tok] for tok in ids[a:b]])
        worst = max(worst, float(np.abs(logits - swift[a:b]).max()))
        for i in range(a, b - 1):  # logits at i predict the label at i + 1, inside the document only
            if labels[i + 1] == -100:
                continue
            z = logits[i - a]
            total += np.log(np.exp(z - z.max()).sum()) + z.max() - z[row_of[labels[i + 1]]]
            count += 1
    loss = total / count
    scale = float(np.abs(swift).max())
    print(f"logits: max |numpy - swift| = {worst:.3e} (max |logit| {scale:.3f})")
    print(f"loss:   numpy {loss:.7f}  swift {probe['loss']:.7f}  diff {abs(loss - probe['loss']):.3e}")
    try:
        from transformers import Qwen2Config

        c = Qwen2Config.from_pretrained(d)
        print(f"transformers Qwen2Config: hidden {c.hidden_size}, layers {c.num_hidden_layers}, "
              f"heads {c.num_attention_heads}/{c.num_key_value_heads}, vocab {c.vocab_size}, "
              f"tie {c.tie_word_embeddings}, rope {getattr(c, 'rope_parameters', None) or c.rope_theta}")
    except ImportError:
        print("transformers not importable: config.json not checked against Qwen2Config")
    ok = worst <= 1e-3 * max(1.0, scale) and abs(loss - probe["loss"]) <= 1e-4 * max(1.0, loss)
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
