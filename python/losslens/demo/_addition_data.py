"""3-digit addition as a language-modelling task, every output token labelled with its skills.

The setting of Chen et al. (Skill-it!) used by POLCA's section 4: a sequence ``abc+def=wxyz`` of
twelve tokens (digits 0-9, ``+`` and ``=``), the sum written most significant digit first and
zero-padded to four digits. A model reads the first eleven tokens and predicts the next one at
every position; only the four sum tokens are scored. Each sum token carries two skills: its digit
position (1000s, 100s, 10s, 1s) and whether a carry arrives at it from the position below
(the POLCA paper's Figure 2). The 1s place never receives a carry; the 1000s digit is the carry
out of the hundreds.
"""
from dataclasses import dataclass

import numpy as np

PLUS, EQUALS = 10, 11
VOCABULARY = 12
N_OPERAND_DIGITS = 3
N_SUM_DIGITS = 4
SEQUENCE_LENGTH = 2 * N_OPERAND_DIGITS + 2 + N_SUM_DIGITS  # abc + def = wxyz
#: Positions of the model input (the sequence without its last token) whose next token is a sum digit.
OUTPUT_POSITIONS = np.arange(SEQUENCE_LENGTH - N_SUM_DIGITS - 1, SEQUENCE_LENGTH - 1)
PLACE_NAMES = ("1000s", "100s", "10s", "1s")
N_PROBLEMS = 10 ** (2 * N_OPERAND_DIGITS)


def _digits(values, n_digits):
    """Decimal digits of ``values``, most significant first, shape (n, n_digits)."""
    powers = 10 ** np.arange(n_digits - 1, -1, -1)
    return (np.asarray(values)[:, None] // powers) % 10


@dataclass(frozen=True)
class AdditionProblems:
    """Addition problems as token sequences with per-output-token skill labels.

    Attributes
    ----------
    a, b : ndarray of shape (n,)
        Operands in [0, 999].
    tokens : ndarray of shape (n, 12), int64
        ``a`` digits, ``+``, ``b`` digits, ``=``, the four digits of ``a + b``.
    place : ndarray of shape (n, 4), int64
        Digit position of each sum token: 0 = 1000s, 1 = 100s, 2 = 10s, 3 = 1s.
    carry : ndarray of shape (n, 4), bool
        Whether a carry arrives at each sum token from the position below.
    """

    a: np.ndarray
    b: np.ndarray
    tokens: np.ndarray
    place: np.ndarray
    carry: np.ndarray

    def __len__(self):
        return len(self.a)

    @property
    def inputs(self):
        """Model inputs, shape (n, 11): the sequence without its last token."""
        return self.tokens[:, :-1]

    @property
    def targets(self):
        """Next-token targets of the scored positions, shape (n, 4): the sum digits."""
        return self.tokens[:, OUTPUT_POSITIONS + 1]

    def token_skills(self):
        """Flat per-output-token labels (place, carry), each of shape (4 n,), in the order of the model's token losses."""
        return self.place.reshape(-1), self.carry.reshape(-1)


def addition_problems(a, b):
    """Token sequences and skill labels of the problems ``a + b`` (operands in [0, 999]).

    The carries are computed digit by digit, as a ripple-carry adder: the carry into a place is
    whether the digits below it plus the carry into them reach 10.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D of equal length, got shapes {a.shape} and {b.shape}")
    limit = 10 ** N_OPERAND_DIGITS
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= limit):
        raise ValueError(f"operands must be in [0, {limit - 1}]")
    da, db = _digits(a, N_OPERAND_DIGITS), _digits(b, N_OPERAND_DIGITS)
    n = len(a)
    sum_digits = np.zeros((n, N_SUM_DIGITS), dtype=np.int64)
    carry = np.zeros((n, N_SUM_DIGITS), dtype=bool)
    incoming = np.zeros(n, dtype=np.int64)
    for column in range(N_OPERAND_DIGITS - 1, -1, -1):  # ones first
        place = column + 1  # sum token index of this column
        carry[:, place] = incoming.astype(bool)
        total = da[:, column] + db[:, column] + incoming
        sum_digits[:, place] = total % 10
        incoming = total // 10
    carry[:, 0] = incoming.astype(bool)
    sum_digits[:, 0] = incoming
    tokens = np.concatenate([da, np.full((n, 1), PLUS), db, np.full((n, 1), EQUALS), sum_digits], axis=1)
    place = np.broadcast_to(np.arange(N_SUM_DIGITS), (n, N_SUM_DIGITS)).copy()
    return AdditionProblems(a=a, b=b, tokens=tokens.astype(np.int64), place=place, carry=carry)


def problem_index(a, b):
    """Index of each problem among all 10^6 ordered pairs of 3-digit operands."""
    return np.asarray(a, dtype=np.int64) * 10 ** N_OPERAND_DIGITS + np.asarray(b, dtype=np.int64)


def sample_problems(rng, n, exclude=None):
    """``n`` problems with uniform operands in [0, 999], none of them in the boolean mask ``exclude`` (10^6,)."""
    limit = 10 ** N_OPERAND_DIGITS
    a, b = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    while len(a) < n:
        ca, cb = rng.integers(0, limit, size=(2, n))
        if exclude is not None:
            kept = ~exclude[problem_index(ca, cb)]
            ca, cb = ca[kept], cb[kept]
        a, b = np.concatenate([a, ca]), np.concatenate([b, cb])
    return addition_problems(a[:n], b[:n])


@dataclass(frozen=True)
class AdditionSplit:
    """A fixed validation set, a training sample for the POLCA basis, and the training stream's seed.

    The validation problems are distinct pairs that never appear in the training stream or sample.
    """

    validation: AdditionProblems
    basis_sample: AdditionProblems
    held_out: np.ndarray
    seed: int

    def stream(self, batch_size):
        """An endless iterator of training batches (fresh problems, validation pairs excluded)."""
        rng = np.random.default_rng([self.seed, 1])
        while True:
            yield sample_problems(rng, batch_size, exclude=self.held_out)


def addition_split(n_validation, n_basis, seed=0):
    """Draw ``n_validation`` distinct validation problems and a ``n_basis``-problem training sample."""
    rng = np.random.default_rng([seed, 0])
    chosen = rng.choice(N_PROBLEMS, size=n_validation, replace=False)
    held_out = np.zeros(N_PROBLEMS, dtype=bool)
    held_out[chosen] = True
    limit = 10 ** N_OPERAND_DIGITS
    validation = addition_problems(chosen // limit, chosen % limit)
    basis_sample = sample_problems(np.random.default_rng([seed, 2]), n_basis, exclude=held_out)
    return AdditionSplit(validation=validation, basis_sample=basis_sample, held_out=held_out, seed=seed)
