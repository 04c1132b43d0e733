"""`losslens demo --task addition --quick` end to end, and the addition Transformer's causality."""
import json
import re
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KEYS = ["polca_carry_homogeneity", "exact_loss_carry_homogeneity", "fisher_carry_homogeneity", "digit_homogeneity",
        "params", "steps", "seconds"]
HOMOGENEITIES = [key for key in KEYS if key.endswith("homogeneity")]


@pytest.fixture(scope="module")
def quick_addition(tmp_path_factory, losslens_command):
    out = tmp_path_factory.mktemp("addition")
    done = subprocess.run(losslens_command + ["demo", "--task", "addition", "--quick", "--no-progress", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


def test_summary_holds_the_table_3_numbers(quick_addition):
    out, stdout = quick_addition
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in KEYS:
        assert summary[key] is not None, key
    for key in HOMOGENEITIES + ["polca_inner_carry_homogeneity", "exact_loss_inner_carry_homogeneity"]:
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["steps"] == 400 and summary["checkpoints"] == 9  # --quick: a checkpoint every 50 steps
    assert summary["basis_vectors"] == 2 and summary["hessian_vector_products"] > 0  # a vector every 200 steps
    assert summary["params"] == 401_292  # 2 layers, width 128
    assert summary["validation_tokens"] == 4 * 80
    assert -1.0 <= summary["first_vs_second_order"]["cosine"] <= 1.0
    assert f"report written to {out / 'report.html'}" in stdout


def test_report_embeds_every_figure_and_the_tables(quick_addition):
    out, _ = quick_addition
    html = (out / "report.html").read_text(encoding="utf-8")
    for heading in ("Data, model and training", "POLCA basis and allocation", "Exact-loss clustering (Figure 3)",
                    "Carry homogeneity per trajectory type (Table 3)", "First- against second-order POLCA (Table 5)"):
        assert f"<h2>{heading}</h2>" in html
    inline = re.findall(r'<img alt="([a-z_0-9]+)" src="data:image/png;base64,', html)
    assert inline[:2] == ["training", "skill_losses"] and inline[-1] == "exact_loss_clusters"
    assert all(name.startswith("polca_direction_") for name in inline[2:-1])
    for name in inline:
        assert (out / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def test_arrays_are_consistent_with_the_allocation(quick_addition):
    out, _ = quick_addition
    with np.load(out / "arrays.npz") as stored:
        arrays = dict(stored)
    T, n, m = arrays["allocation"].shape
    assert (T, n, m) == (8, 320, 2)
    np.testing.assert_allclose(arrays["projected_loss"][1:], np.cumsum(arrays["allocation"], axis=0), atol=1e-9)  # eq. (10)
    # eq. (4): the first-order term is the projected gradient times one step projection per (t, b)
    grads, first = arrays["projected_grads"][:-1], arrays["first_order"]
    step = (first * grads).sum(axis=1) / (grads ** 2).sum(axis=1)
    np.testing.assert_allclose(first, grads * step[:, None, :], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(arrays["place"], np.tile([0, 1, 2, 3], 80))
    assert np.all(arrays["losses"] >= 0)


def test_the_transformer_is_causal():
    from losslens.demo._addition_model import DecoderTransformer

    torch.manual_seed(0)
    model = DecoderTransformer(12, 11, width=32, n_layers=2, n_heads=4)
    tokens = torch.randint(0, 12, (3, 11))
    changed = tokens.clone()
    changed[:, 7:] = (changed[:, 7:] + 1) % 12
    with torch.no_grad():
        before, after = model(tokens), model(changed)
    torch.testing.assert_close(before[:, :7], after[:, :7])  # positions before the change see none of it
    assert not torch.allclose(before[:, 7:], after[:, 7:])
