"""PyTorch beside bench/gpu-kit.ts on the same GPU: the same Qwen2.5 shapes with random weights
(transformers' Qwen2ForCausalLM from a config, bf16), prefill tokens/s and decode tokens/s at batch
1 and 8, and the GPU's matmul FLOP/s and copy bandwidth. Exits 1 (and says why) without CUDA."""
import argparse, sys, time

SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_attention_heads=14, num_key_value_heads=2, num_hidden_layers=24),
    "qwen2.5-1.5b": dict(hidden_size=1536, intermediate_size=8960, num_attention_heads=12, num_key_value_heads=2, num_hidden_layers=28),
    "qwen2.5-3b": dict(hidden_size=2048, intermediate_size=11008, num_attention_heads=16, num_key_value_heads=2, num_hidden_layers=36),
}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="qwen2.5-0.5b,qwen2.5-1.5b")
    ap.add_argument("--prompt", type=int, default=256)
    ap.add_argument("--decode-steps", type=int, default=32)
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is not installed")
    if not torch.cuda.is_available():
        sys.exit("PyTorch finds no CUDA device")
    from transformers import Qwen2Config, Qwen2ForCausalLM
    dev = torch.device("cuda")
    sync = torch.cuda.synchronize
    x = torch.randn(4096, 4096, device=dev, dtype=torch.bfloat16)
    for _ in range(3): x @ x
    sync(); t = time.perf_counter()
    for _ in range(10): x @ x
    sync(); tflops = 10 * 2 * 4096 ** 3 / (time.perf_counter() - t) / 1e12
    b = torch.empty(256 * 2 ** 20, device=dev, dtype=torch.uint8); c = torch.empty_like(b)
    c.copy_(b); sync(); t = time.perf_counter()
    for _ in range(10): c.copy_(b)
    sync(); gbps = 10 * 2 * b.numel() / (time.perf_counter() - t) / 1e9
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}: matmul bf16 {tflops:.1f} TFLOP/s, copy {gbps:.0f} GB/s")
    print("| model (random weights, bf16) | prefill tok/s | decode tok/s b1 | decode tok/s b8 |\n|---|---|---|---|")
    for name in a.shapes.split(","):
        cfg = Qwen2Config(vocab_size=151936, tie_word_embeddings=True, torch_dtype="bfloat16", **SHAPES[name])
        model = Qwen2ForCausalLM(cfg).to(dev, torch.bfloat16).eval()
        ids = torch.randint(1000, 50000, (1, a.prompt), device=dev)
        with torch.no_grad():
            model(ids); sync(); t = time.perf_counter()
            out = model(ids, use_cache=True); sync(); pre = a.prompt / (time.perf_counter() - t)
            row = [f"{pre:.0f}"]
            for bsz in (1, 8):
                past = model(ids.repeat(bsz, 1), use_cache=True).past_key_values
                tok = torch.full((bsz, 1), 5, device=dev)
                sync(); t = time.perf_counter()
                for _ in range(a.decode_steps):
                    past = model(tok, past_key_values=past, use_cache=True).past_key_values
                sync(); row.append(f"{bsz * a.decode_steps / (time.perf_counter() - t):.1f}")
        print(f"| {name} | " + " | ".join(row) + " |")
        del model; torch.cuda.empty_cache()

main()
