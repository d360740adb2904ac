#!/usr/bin/python3
"""PyTorch twin of `ser-train --arch seed`, for scripts/bench (timing only).

  torch_seed.py [-j THREADS] [-e EPOCHS] [-b BATCH] [-s SEED] FEATURES

FEATURES is a ser feature stream of pooled vectors (ser-mfcc --preset librosa
--pool mean: one 40-value frame per utterance), read here by a small reader
of the format in man/ser-formats.5, so both trainers see the same numbers.
Labels come from RAVDESS/TESS file names, in ser-train's default class order.

Network (ser lib/net.c preset "seed", the original project's Keras model):
Conv1D(64, 5, same) over the 40 values as a length-40 one-channel sequence,
ReLU, Dropout 0.2, Flatten, Dense 8; softmax cross-entropy; RMSprop lr 1e-3,
rho 0.9 (torch: alpha), eps 1e-7 outside the square root (Keras and torch
agree); batch 32; Glorot-uniform weights, zero biases. No input
normalisation and no validation, like ser-train on pooled features.

Prints one line of figures on stdout:
  epochs E threads N batch B utts U epoch_s MEAN total_s SUM cpu_s MEAN loss L acc A
epoch_s is the mean wall time of the training loop per epoch, cpu_s its mean
CPU time (all threads) per epoch, total_s the loop's wall time; acc is the
last epoch's running training accuracy (dropout on, as Keras reports it).
"""
import argparse
import os
import struct
import sys
import time
import zlib

CLASSES = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
TESS = {"neutral": 0, "happy": 2, "sad": 3, "angry": 4, "fear": 5, "disgust": 6, "ps": 7}


def read_feats(path):
    """Reads a ser feature stream (man/ser-formats.5). Returns (dim, [(key, bytes)]),
    bytes being the utterance's float32 frames, frame-major (n, dim)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, dim, utts, key, body = 0, None, [], None, []

    def need(n):
        if pos + n > len(data):
            sys.exit("%s: truncated at byte %d" % (path, pos))

    def header():
        nonlocal pos, dim
        need(36)
        if data[pos:pos + 8] != b"SERFEAT\x01":
            sys.exit("%s: not a ser feature stream (version 1)" % path)
        d, = struct.unpack_from("<I", data, pos + 8)
        s, = struct.unpack_from("<I", data, pos + 32)
        need(40 + s)
        crc, = struct.unpack_from("<I", data, pos + 36 + s)
        if zlib.crc32(data[pos:pos + 36 + s]) != crc:
            sys.exit("%s: header CRC mismatch at byte %d" % (path, pos))
        if dim is not None and d != dim:
            sys.exit("%s: repeated header with another dim" % path)
        dim = d
        pos += 40 + s

    header()
    while pos < len(data):
        need(12)
        tag = data[pos:pos + 4]
        if tag == b"SERF":
            header()
            continue
        n, nx = struct.unpack_from("<II", data, pos + 4)
        if n ^ nx != 0xFFFFFFFF:
            sys.exit("%s: bad count at byte %d" % (path, pos))
        size = {b"BEGN": n, b"FRMS": 4 * n * dim, b"END ": 0}.get(tag)
        if size is None:
            sys.exit("%s: unknown tag %r at byte %d" % (path, tag, pos))
        need(16 + size)
        crc, = struct.unpack_from("<I", data, pos + 12 + size)
        if zlib.crc32(data[pos:pos + 12 + size]) != crc:
            sys.exit("%s: record CRC mismatch at byte %d" % (path, pos))
        b = data[pos + 12:pos + 12 + size]
        if tag == b"BEGN":
            key, body = b.decode("utf-8", "surrogateescape"), []
        elif tag == b"FRMS":
            body.append(b)
        else:
            utts.append((key, b"".join(body)))
        pos += 16 + size
    return dim, utts


def label_of(key):
    """Class index from a RAVDESS (MM-VV-EE-II-SS-RR-AA) or TESS (SPK_word_emotion) name."""
    base = os.path.splitext(os.path.basename(key))[0]
    f = base.split("-")
    if len(f) == 7:
        return int(f[2]) - 1
    return TESS[base.rsplit("_", 1)[1].lower()]


def setup_torch(threads, seed):
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(seed)
    return torch


def train(torch, model, opt, loss_fn, x, y, epochs, batch, make_batch=None, sched=None):
    """Plain loop: shuffled index batches, running loss and accuracy per epoch.
    Returns (per-epoch wall seconds, per-epoch CPU seconds, last loss, last accuracy)."""
    n = y.shape[0]
    times, cpu, loss_sum, correct = [], [], 0.0, 0
    model.train()
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        loss_sum, correct = 0.0, 0
        order = torch.randperm(n)
        for s0 in range(0, n, batch):
            idx = order[s0:s0 + batch]
            xb = make_batch(idx) if make_batch else x[idx]
            yb = y[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            loss_sum += loss.item() * idx.shape[0]
            correct += int((out.argmax(1) == yb).sum())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu, loss_sum / n, correct / n


def report(times, cpu, loss, acc, threads, batch, n):
    print("epochs %d threads %d batch %d utts %d epoch_s %.6f total_s %.3f cpu_s %.6f loss %.4f "
          "acc %.4f" % (len(times), threads, batch, n, sum(times) / len(times), sum(times),
                        sum(cpu) / len(cpu), loss, acc))


def arg_parser(doc):
    """The twins' option parser: the first line of doc, --version (config.mk's VERSION)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--version", action="version", version="%(prog)s (ser) " + "".join(
        l.split("=", 1)[1].strip() for l in open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
        "..", "config.mk")) if l.startswith("VERSION")))
    return ap


def add_run_args(ap, epochs, crop=None):
    """-j -e -b [-c when crop is a default] -s FEATURES, as the twins share them."""
    ap.add_argument("-j", "--threads", type=int, default=2)
    ap.add_argument("-e", "--epochs", type=int, default=epochs)
    ap.add_argument("-b", "--batch", type=int, default=32)
    if crop is not None:
        ap.add_argument("-c", "--crop", type=int, default=crop)
    ap.add_argument("-s", "--seed", type=int, default=1)
    ap.add_argument("features")


def main():
    ap = arg_parser(__doc__)
    add_run_args(ap, epochs=1000)
    a = ap.parse_args()
    torch = setup_torch(a.threads, a.seed)
    nn = torch.nn

    dim, utts = read_feats(a.features)
    x = torch.empty(len(utts), 1, dim)
    for i, (k, b) in enumerate(utts):
        if len(b) != 4 * dim:
            sys.exit("%s: utterance %s is not one pooled vector" % (a.features, k))
        x[i, 0] = torch.frombuffer(bytearray(b), dtype=torch.float32)
    y = torch.tensor([label_of(k) for k, _ in utts])

    model = nn.Sequential(
        nn.Conv1d(1, 64, 5, padding="same"),   # (B, 64, 40)
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Flatten(),                          # (B, 64 * 40)
        nn.Linear(64 * dim, len(CLASSES)))
    for m in model:
        if isinstance(m, (nn.Conv1d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    times, cpu, loss, acc = train(torch, model, opt, nn.CrossEntropyLoss(), x, y, a.epochs,
                                  a.batch)
    report(times, cpu, loss, acc, a.threads, a.batch, len(utts))


if __name__ == "__main__":
    main()
