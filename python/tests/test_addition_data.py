"""The addition task's data generator: tokens and skill labels against brute-force arithmetic."""
import numpy as np
import pytest

from losslens.demo._addition_data import (
    EQUALS,
    N_PROBLEMS,
    OUTPUT_POSITIONS,
    PLUS,
    addition_problems,
    addition_split,
    problem_index,
    sample_problems,
)


def test_every_problem_matches_brute_force_addition():
    a, b = np.divmod(np.arange(N_PROBLEMS), 1000)
    problems = addition_problems(a, b)
    total = a + b
    for place, power in enumerate((1000, 100, 10, 1)):
        np.testing.assert_array_equal(problems.tokens[:, 8 + place], total // power % 10)
        # a carry arrives at a place when the operands' lower digits overflow it
        np.testing.assert_array_equal(problems.carry[:, place], (a % power + b % power) >= power)
        np.testing.assert_array_equal(problems.place[:, place], place)
    np.testing.assert_array_equal(problems.tokens[:, 3], PLUS)
    np.testing.assert_array_equal(problems.tokens[:, 7], EQUALS)
    assert not problems.carry[:, 3].any()  # the ones place never receives a carry


def test_tokens_spell_the_problem_as_text():
    problems = addition_problems([123, 999, 0, 505], [456, 1, 0, 495])
    text = ["".join("0123456789+="[t] for t in row) for row in problems.tokens]
    assert text == ["123+456=0579", "999+001=1000", "000+000=0000", "505+495=1000"]
    np.testing.assert_array_equal(problems.carry, [[0, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0], [1, 1, 1, 0]])


def test_inputs_targets_and_flat_skills_line_up():
    problems = addition_problems([347, 58], [675, 941])
    np.testing.assert_array_equal(problems.inputs, problems.tokens[:, :-1])
    # the scored input positions are '=' and the first three sum digits; their next tokens are the sum
    np.testing.assert_array_equal(problems.inputs[:, OUTPUT_POSITIONS[0]], EQUALS)
    np.testing.assert_array_equal(problems.targets, problems.tokens[:, 8:])
    place, carry = problems.token_skills()
    np.testing.assert_array_equal(place, [0, 1, 2, 3, 0, 1, 2, 3])
    np.testing.assert_array_equal(carry, [True, True, True, False, False, False, False, False])  # 1022, 0999


def test_validation_problems_never_reach_training():
    split = addition_split(n_validation=500, n_basis=300, seed=3)
    validation = problem_index(split.validation.a, split.validation.b)
    assert len(np.unique(validation)) == 500
    training = [problem_index(split.basis_sample.a, split.basis_sample.b)]
    stream = split.stream(256)
    training += [problem_index(batch.a, batch.b) for batch, _ in zip(stream, range(20))]
    assert not np.isin(np.concatenate(training), validation).any()


def test_sampling_is_seeded_and_operands_are_checked():
    first = sample_problems(np.random.default_rng(0), 50)
    again = sample_problems(np.random.default_rng(0), 50)
    np.testing.assert_array_equal(first.tokens, again.tokens)
    with pytest.raises(ValueError, match="operands"):
        addition_problems([1000], [1])
    with pytest.raises(ValueError, match="equal length"):
        addition_problems([1, 2], [1])
