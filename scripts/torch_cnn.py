#!/usr/bin/python3
"""PyTorch twin of `ser-train --arch default` (lib/net.c preset "cnn") and of
`--arch cnn2d-wide`, for scripts/bench (timing only).

  torch_cnn.py [-a cnn|cnn2d-wide] [-j THREADS] [-e EPOCHS] [-b BATCH] [-c CROP]
               [-s SEED] FEATURES

FEATURES is a ser feature stream of frame sequences (ser-mfcc, 40 values a
frame), read by the reader in torch_seed.py. Each epoch takes one random crop
of CROP frames (200) from every utterance (a shorter one repeated to fill it),
like ser-train: batches of (B, 40, 200).

Network: Conv1d(40, 64, 5, same) BN ReLU MaxPool(2), Conv1d(64, 128, 5, same)
BN ReLU MaxPool(2), Conv1d(128, 128, 3, same) BN ReLU, statistics pooling
(mean and sqrt(var + 1e-5) over time -> 256), Linear(256, 128) ReLU
Dropout(0.3) Linear(128, 8). BatchNorm as Keras' defaults (momentum 0.99 =
torch 0.01, eps 1e-3). Training as ser-train's defaults for frame features:
crop mean removed and divided by the training std per coefficient,
SpecAugment 20:2:6:2, balanced class weights, label smoothing 0.1, AdamW lr
1e-3 weight decay 0.004, cosine schedule after one warm-up epoch.

cnn2d-wide: each frame's 40 orthonormal cepstra taken back to 40 log mel
energies (the inverse DCT ser-train puts in the model), then three blocks of
Conv2d(3x3, same) over (bands, frames) with 16, 24 and 48 channels, BatchNorm
per channel and band (as ser's bn on the 2D view: BatchNorm1d over C*F rows),
ReLU, MaxPool2d(2); then (B, 48*5, T/8) through Conv1d(240, 128, 3, same) BN
ReLU and the same statistics pooling and dense layers. ser-train's --augment
has no twin here; the benchmark trains both without it.

Prints the line of torch_seed.py (epoch_s: mean training-loop seconds).
"""
import math
import sys

from torch_seed import (CLASSES, add_run_args, arg_parser, label_of, read_feats, report,
                        setup_torch, train)


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("-a", "--arch", choices=("cnn", "cnn2d-wide"), default="cnn")
    add_run_args(ap, epochs=3, crop=200)
    a = ap.parse_args()
    torch = setup_torch(a.threads, a.seed)
    nn = torch.nn

    dim, utts = read_feats(a.features)
    seqs = [torch.frombuffer(bytearray(b), dtype=torch.float32).view(-1, dim).t().contiguous()
            for _, b in utts]                   # each (dim, n)
    if a.arch == "cnn2d-wide":                  # cepstra -> log mel: m = D^T c
        k = torch.arange(dim, dtype=torch.float64)
        D = torch.cos(math.pi / dim * (k[None, :] + 0.5) * k[:, None]) * math.sqrt(2.0 / dim)
        D[0] /= math.sqrt(2.0)
        seqs = [(D.t().float() @ q).contiguous() for q in seqs]
    y = torch.tensor([label_of(k) for k, _ in utts])
    allf = torch.cat(seqs, 1)
    std = (allf - allf.mean(1, keepdim=True)).pow(2).mean(1).sqrt().clamp_min(1e-5)
    count = torch.bincount(y, minlength=len(CLASSES)).float()
    cw = torch.where(count > 0, len(y) / (len(CLASSES) * count.clamp_min(1)), torch.zeros(1))
    C, T = dim, a.crop

    def make_batch(idx):                        # (B, dim, crop)
        xb = torch.empty(idx.shape[0], C, T)
        for j, i in enumerate(idx.tolist()):
            s = seqs[i]
            n = s.shape[1]
            if n < T:
                s = s.repeat(1, (T + n - 1) // n)[:, :T]
            else:
                t0 = int(torch.randint(n - T + 1, (1,)))
                s = s[:, t0:t0 + T]
            xb[j] = s
            for _ in range(2):                  # SpecAugment: 2 time masks <= 20 frames
                w = int(torch.randint(21, (1,)))
                t0 = int(torch.randint(T - w + 1, (1,)))
                xb[j, :, t0:t0 + w] = 0
            for _ in range(2):                  # 2 coefficient masks <= 6
                w = int(torch.randint(7, (1,)))
                c0 = int(torch.randint(C - w + 1, (1,)))
                xb[j, c0:c0 + w, :] = 0
        return (xb - xb.mean(2, keepdim=True)) / std[:, None]

    class Stats(nn.Module):                     # (B, C, T) -> (B, 2C)
        def forward(self, h):
            m = h.mean(2)
            v = h.var(2, unbiased=False)
            return torch.cat([m, (v + 1e-5).sqrt()], 1)

    def block(ci, co, k):
        return [nn.Conv1d(ci, co, k, padding="same"), nn.BatchNorm1d(co, eps=1e-3, momentum=0.01),
                nn.ReLU()]

    class RowBN(nn.Module):                     # BatchNorm per (channel, band)
        def __init__(self, co, f):
            super().__init__()
            self.bn = nn.BatchNorm1d(co * f, eps=1e-3, momentum=0.01)

        def forward(self, h):
            b, c, f, t = h.shape
            return self.bn(h.reshape(b, c * f, t)).reshape(b, c, f, t)

    class View(nn.Module):
        def __init__(self, *shape):
            super().__init__()
            self.shape = shape

        def forward(self, h):
            return h.reshape(h.shape[0], *self.shape, h.shape[-1])

    def block2d(ci, co, f):
        return [nn.Conv2d(ci, co, 3, padding="same"), RowBN(co, f), nn.ReLU(), nn.MaxPool2d(2)]

    if a.arch == "cnn2d-wide":
        model = nn.Sequential(
            View(1, C),                             # (B, 1, 40, T)
            *block2d(1, 16, C), *block2d(16, 24, C // 2), *block2d(24, 48, C // 4),
            View(48 * (C // 8)),                    # (B, 240, T/8)
            *block(48 * (C // 8), 128, 3), Stats(),
            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(128, len(CLASSES)))
    else:
        model = nn.Sequential(
            *block(C, 64, 5), nn.MaxPool1d(2),      # (B, 64, T/2)
            *block(64, 128, 5), nn.MaxPool1d(2),    # (B, 128, T/4)
            *block(128, 128, 3), Stats(),           # (B, 256)
            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(128, len(CLASSES)))
    for m in model:
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.004)
    steps = math.ceil(len(utts) / a.batch)
    total = steps * a.epochs

    def lr_at(step):                            # warm-up one epoch, then cosine to 0
        if step < steps:
            return (step + 1) / steps
        return 0.5 * (1 + math.cos(math.pi * (step - steps) / max(1, total - steps)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    loss_fn = nn.CrossEntropyLoss(weight=cw, label_smoothing=0.1)
    times, cpu, loss, acc = train(torch, model, opt, loss_fn, None, y, a.epochs, a.batch,
                                  make_batch, sched)
    report(times, cpu, loss, acc, a.threads, a.batch, len(utts))


if __name__ == "__main__":
    sys.exit(main())
