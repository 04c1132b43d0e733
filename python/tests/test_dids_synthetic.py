"""DIDS validation on a synthetic multi-domain problem with a known answer (the paper's figure 2b)."""
import numpy as np
import pytest

from _dids_synthetic import make_multidomain_problem, train


@pytest.mark.parametrize("n_irrelevant", [1, 4, 16])
def test_dids_beats_uniform_and_random_at_equal_budget_as_irrelevant_share_grows(n_irrelevant):
    problem = make_multidomain_problem(n_irrelevant=n_irrelevant, random_state=0)
    seeds = range(3)
    loss = {s: np.mean([train(problem, s, random_state=r)[0] for r in seeds]) for s in ("uniform", "random", "dids")}
    assert loss["dids"] < 0.5 * min(loss["uniform"], loss["random"]), loss


def test_dids_moves_probability_to_helpful_domains_and_off_the_harmful_one():
    problem = make_multidomain_problem(n_irrelevant=4, random_state=0)
    _, sampler = train(problem, "dids", random_state=1)
    kinds = np.array(problem.kinds)
    p = sampler.probabilities_
    assert p[kinds == "helpful"].sum() > 0.5
    assert p[kinds == "harmful"].sum() < 0.01
    assert len(sampler.history_) == 600 // 50  # the initial vector and one per update
