"""PyTorch peer of `npm run bench -- train`: a minimal GPT with exactly lmscope's
`shakespeare-char` preset (src/training/train-config.ts), trained the same way.

The model is GPT-2's (the layout of nanoGPT's model.py, written out here): token and
learned position embeddings, 4 pre-LayerNorm blocks of causal self-attention (4
heads, width 128, biases) and an MLP of width 512 with GELU's tanh form (HF GPT-2's
gelu_new, as lmscope's gpt2 preset), a final LayerNorm and an LM head tied to the
token embedding. Character-level tinyshakespeare (first 90% for training), random
windows of 64 + 1 characters, batch 12; cross-entropy; gradients clipped to norm 1;
AdamW lr 1e-3 (betas 0.9/0.99, weight decay 0.1 on every matrix, eps 1e-8), warmup
100 then cosine decay to 1e-4 at 2000. Initialised as GPT-2 (std 0.02, residual
projections 0.02/sqrt(2 n_layer)).

After one warm-up iteration it serves the bench (bench/train.ts) line by line on
stdin/stdout: a line holding a number N runs N more iterations and answers one JSON
line with their milliseconds (forward, backward, clipping and AdamW step each) and
the losses; an empty line or end of input stops it. The first answer line, before
any request, describes the run (torch's version, threads, parameters, the warm-up's loss).

  python3 bench/peers/torch_gpt.py --data ../shared/data/tinyshakespeare.txt --threads 2
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH = 4, 4, 128, 64, 12
LR, MIN_LR, WARMUP, DECAY_ITERS, MAX_ITERS = 1e-3, 1e-4, 100, 2000, 2000
BETAS, WEIGHT_DECAY, GRAD_CLIP = (0.9, 0.99), 0.1, 1.0


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(N_EMBD, 3 * N_EMBD)
        self.c_proj = nn.Linear(N_EMBD, N_EMBD)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(N_EMBD, dim=2)  # 3 × [b, t, c]
        q = q.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2)  # [b, heads, t, headDim]
        k = k.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2)
        v = v.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [b, heads, t, headDim]
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(N_EMBD)
        self.attn = SelfAttention()
        self.ln_2 = nn.LayerNorm(N_EMBD)
        self.c_fc = nn.Linear(N_EMBD, 4 * N_EMBD)
        self.c_proj = nn.Linear(4 * N_EMBD, N_EMBD)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, N_EMBD)
        self.wpe = nn.Embedding(BLOCK, N_EMBD)
        self.h = nn.ModuleList(Block() for _ in range(N_LAYER))
        self.ln_f = nn.LayerNorm(N_EMBD)
        self.lm_head = nn.Linear(N_EMBD, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * N_LAYER))
            elif p.dim() >= 2:
                nn.init.normal_(p, std=0.02)
            elif name.endswith(".bias") and "ln" not in name:
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))  # [b, t, c]
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # [b, t, vocab]
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def learning_rate(it):
    if it < WARMUP:
        return LR * (it + 1) / (WARMUP + 1)
    if it > DECAY_ITERS:
        return MIN_LR
    ratio = (it - WARMUP) / (DECAY_ITERS - WARMUP)
    return MIN_LR + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (LR - MIN_LR)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)

    text = open(args.data, encoding="utf-8").read()
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    ids = torch.tensor([index[ch] for ch in text[: int(0.9 * len(text))]], dtype=torch.long)

    model = GPT(len(chars))
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": matrices, "weight_decay": WEIGHT_DECAY}, {"params": vectors, "weight_decay": 0.0}],
        lr=LR, betas=BETAS, eps=1e-8, foreach=True,
    )

    def step(it):
        starts = torch.randint(len(ids) - BLOCK, (BATCH,))
        x = torch.stack([ids[s : s + BLOCK] for s in starts])
        y = torch.stack([ids[s + 1 : s + 1 + BLOCK] for s in starts])
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(it)
        loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        optimizer.step()
        return loss.item()

    first = step(0)  # warm-up
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "first": first,
                      "parameters": sum(p.numel() for p in model.parameters())}), flush=True)
    it = 1
    for line in sys.stdin:
        if not line.strip():
            break
        times, losses = [], []
        for _ in range(int(line)):
            t0 = time.perf_counter()
            losses.append(step(it))
            times.append((time.perf_counter() - t0) * 1000)
            it += 1
        print(json.dumps({"ms": times, "losses": losses}), flush=True)


if __name__ == "__main__":
    main()
