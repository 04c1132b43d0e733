"""`losslens demo --quick` end to end into a temporary folder, the `--losses` path, and the notebook."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SECTIONS = ["Data and training", "Learning-domain decomposition (figure 2)",
            "t-SNE of loss-change trajectories (figures 3, 4 and 7)",
            "Domain contributions to generalisation (section 5.3, figure 5)",
            "Data pruning by domain multiplicity (section 5.4, figures 6a and 6b)",
            "POLCA: loss change along Hessian directions", "DIDS over the learning domains", "Run"]
FIGURES = ["code_differences", "domain_losses", "top_images", "tsne_digits", "tsne_domains", "tsne_multiplicity",
           "contributions", "pruning", "pruning_domains", "polca_clusters", "dids_probabilities"]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory, losslens_command):
    out = tmp_path_factory.mktemp("report")
    done = subprocess.run(losslens_command + ["demo", "--quick", "--no-progress", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


def test_quick_demo_writes_every_section_and_figure(quick_report):
    out, _ = quick_report
    html = (out / "report.html").read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in html
    assert "<h2>Not in this report</h2>" not in html  # POLCA and DIDS are both in losslens
    inline = re.findall(r'<img alt="([a-z_]+)" src="data:image/png;base64,', html)
    assert inline == FIGURES
    for name in FIGURES:
        assert (out / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def test_quick_demo_arrays_are_consistent(quick_report):
    out, _ = quick_report
    with np.load(out / "arrays.npz") as stored:
        arrays = dict(stored)
    losses = arrays["losses"]
    n_samples, n_checkpoints = losses.shape
    assert n_checkpoints == 61 and n_samples == len(arrays["labels"]) == 1197  # --quick: 60 steps
    assert np.all(losses >= 0) and losses[:, 0].mean() > losses[:, -1].mean()  # training lowered the loss
    assert arrays["dictionary"].shape == (n_samples, 10)
    np.testing.assert_allclose(arrays["dictionary"].sum(axis=0), 1.0, atol=1e-6)
    assert arrays["code_differences"].shape == (10, 60) and arrays["contributions"].shape == (10, 60)
    assert arrays["pruning_accuracy"].shape == (4, 4, 3)  # methods x budgets x seeds
    assert arrays["domain_count_accuracy"].shape == (5, 3)  # K in (1, 2, 5, 10, 20) x seeds
    # K = 10 at 10% is figure 6a's multiplicity row, reused
    np.testing.assert_array_equal(arrays["domain_count_accuracy"][3], arrays["pruning_accuracy"][0, 2])
    assert arrays["multiplicity_K20"].shape == (n_samples,)
    assert np.all((arrays["pruning_accuracy"] >= 0) & (arrays["pruning_accuracy"] <= 1))
    assert arrays["tsne_embedding"].shape == (n_samples, 2)
    # checkpoints every 10 of 60 steps; the allocation covers the 300 validation images (basis: training images)
    assert arrays["polca_allocation"].shape[:2] == (7 - 1, 300)
    assert arrays["polca_basis_samples"].shape == (200,)
    for variant in ("paper_unmixed", "paper", "kernel"):
        probabilities = arrays[f"dids_{variant}_probabilities"]
        assert probabilities.shape == (6, 10)  # initial + updates before steps 10, 20, ..., 50
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
        present = probabilities[0] > 0
        np.testing.assert_allclose(probabilities[0][present], 1 / present.sum())
        if variant != "paper_unmixed":  # uniform mixing 0.5: every present domain keeps 0.5 / n_present
            assert probabilities[:, present].min() >= 0.5 / present.sum() - 1e-12


def test_quick_demo_prints_the_pruning_table(quick_report):
    out, stdout = quick_report
    assert f"report written to {out / 'report.html'}" in stdout
    table = stdout[stdout.index("test accuracy after pruning"):]
    for budget in ("2%", "5%", "10%", "20%"):
        assert re.search(rf"^{budget}\s+0\.\d{{3}} ± .*(beats random|loses to random|no significant difference)$",
                         table, re.MULTILINE)
    assert re.search(r"^eq\. \(8\): .* tolerance 5%: pass$", stdout, re.MULTILINE)  # the default formulation
    for k in (1, 2, 5, 10, 20):
        assert re.search(rf"^{k}\s+0\.\d{{3}} ± ", stdout[stdout.index("per K (figure 6b)"):], re.MULTILINE)


def test_losses_option_decomposes_a_saved_matrix(quick_report, tmp_path):
    out, _ = quick_report
    with np.load(out / "arrays.npz") as stored:
        np.save(tmp_path / "L.npy", stored["losses"][:300])
    done = subprocess.run([sys.executable, "-m", "losslens.demo", "--losses", str(tmp_path / "L.npy"),
                           "--domains", "4", "--no-progress", "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "300 samples × 61 checkpoints" in html and "Data pruning" not in html
    assert "POLCA (loss change allocation on a Hessian basis): not available here" in html
    with np.load(tmp_path / "r" / "arrays.npz") as stored:
        assert stored["dictionary"].shape == (300, 4)


def test_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("LOSSLENS_NOTEBOOK_QUICK", "1")
    notebook = nbformat.read(ROOT / "examples" / "ldd_digits.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 7
    assert any("multiplicity" in o.get("text", "") for o in outputs)
