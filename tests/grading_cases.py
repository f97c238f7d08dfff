"""One table of grading cases that every grader must judge alike (tests/test_grading_parity.py).

Each case replaces one answer cell of a master notebook (``solutions/chN_exercises.ipynb``)
with ``source`` and says what every grader gives that question: ``points`` (public + hidden)
and ``reason``, a phrase the question's first failing message must contain (``None``: full
marks, no failure). The policy they encode (README, trust model; exercises/README.md):
comparing with the course's own cells while debugging is allowed and costs nothing; only a
returned answer that *is* a reference's output costs points, in every grader alike.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    assignment: str
    question: str
    source: str | None  # the answer cell; None: the untouched stub of the student notebook
    points: float
    reason: str | None  # in the first ❌/⏳ message; None: every point, no failure
    body: str = ""  # lines put at the start of the answer function's body ({body})


SOLUTION = "{solution}"  # in ``source``: the master's own answer to the question
BODY = "{body}"  # in ``source``: lines run at the start of the master's answer function

CASES = (
    Case("right (the master's answer)", "ch2_exercises", "q2_1", SOLUTION, 2, None),
    Case("wrong: every output doubled", "ch2_exercises", "q2_3",
         SOLUTION + "\n\n_right = reset_closed_vs_first_step\n\n"
         "def reset_closed_vs_first_step(*args):\n"
         "    return tuple(2 * out for out in _right(*args))\n", 0,
         "❌ q2_3 (reset_closed_vs_first_step)"),
    Case("unanswered (the student notebook's stub)", "ch4_exercises", "q4_4", None, 0,
         "not attempted yet"),
    Case("crashing answer", "ch2_exercises", "q2_5",
         "def fix_weights(weight_ih, weight_hh, bias_ih, bias_hh):\n    return 1 / 0\n",
         0, "ZeroDivisionError"),
    Case("honest: imports a course cell to compare", "ch2_exercises", "q2_2",
         "from utils.numpy_cells import GRUCell  # to compare while debugging\n" + SOLUTION
         + "\n_cell = GRUCell(3, 4)\n", 2, None),
    Case("honest: torch.nn.GRUCell autograd comparison", "ch2_exercises", "q2_4",
         "import torch\n" + SOLUTION, 2, None,
         body="_x = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)\n"
              "torch.nn.GRUCell(3, 4).double()(_x).sum().backward()  # compare gradients\n"),
    Case("returns a reference's output (the course's concat_to_torch)", "ch4_exercises",
         "q4_2",
         "from utils.budget import concat_to_torch as _course_concat\n"
         "import numpy as np\n"
         "\n"
         "def onnx_to_torch(W, R, B, P):\n"
         "    H = R.shape[-1]\n"
         "    d = _course_concat(np.concatenate([R[0], W[0]], axis=1), B[0, :4 * H], H)\n"
         "    return d['weight_ih'], d['weight_hh'], d['bias_ih'], d['bias_hh'], P[0]\n",
         0, "calls the reference implementation"),
    Case("returns a reference's output (concat_to_torch, ch4)", "ch4_exercises", "q4_3",
         "from utils.budget import concat_to_torch\n"
         "import numpy as np\n"
         "\n"
         "def torch_to_tf1(weight_ih, weight_hh, bias_ih, bias_hh):\n"
         "    H = weight_hh.shape[1]\n"
         "    d = concat_to_torch(np.concatenate([weight_hh, weight_ih], axis=1),\n"
         "                        bias_ih + bias_hh, H)\n"
         "    return d['weight_ih'], d['bias_ih']\n",
         0, "calls the reference implementation"),
    Case("honest: calls the course's count, returns its own", "ch4_exercises", "q4_1",
         "from utils.budget import param_count_as\n" + SOLUTION, 2, None,
         body="_ = param_count_as('lstm', 3, 300)  # compared while debugging\n"),
    Case("a known wrong prediction (ch4)", "ch4_exercises", "p4_3",
         'predicted_tf_share_kept = "50%"\n', 0,
         "❌ p4_3 (predicted_tf_share_kept): you predicted '50%'"),
    Case("a right prediction (ch4, the master's answer)", "ch4_exercises", "p4_1", SOLUTION, 1,
         None),
    Case("a known mistake (ch5: the matrices multiplied the wrong way round)", "ch5_exercises",
         "q5_3",
         "def matrix_scan(a, b, h0):\n"
         "    A, B = a.copy(), b.copy()\n"
         "    B[0] = (A[0] @ h0[..., None])[..., 0] + B[0]\n"
         "    d = 1\n"
         "    while d < len(A):\n"
         "        B_new = (A[d:] @ B[:-d][..., None])[..., 0] + B[d:]\n"
         "        A_new = A[:-d] @ A[d:]\n"
         "        B = np.concatenate([B[:d], B_new])\n"
         "        A = np.concatenate([A[:d], A_new])\n"
         "        d *= 2\n"
         "    return B\n", 0, "the combined matrix is multiplied the wrong way round"),
    Case("a known wrong prediction (ch5)", "ch5_exercises", "p5_3",
         'predicted_extra_work = "about log2(T) times"\n', 0,
         "❌ p5_3 (predicted_extra_work): you predicted 'about log2(T) times'"),
    Case("right (ch6, the master's answer)", "ch6_exercises", "q6_4", SOLUTION, 2, None),
    Case("a known mistake (ch6: time reversed instead of the frames moved)", "ch6_exercises",
         "q6_3",
         "def left_to_right(X, lengths):\n"
         "    return X[::-1].copy()\n", 0, "reversing time puts the real frames first"),
    Case("unanswered (ch6, the student notebook's stub)", "ch6_exercises", "q6_5", None, 0,
         "not attempted yet"),
    Case("a known wrong prediction (ch6)", "ch6_exercises", "p6_5",
         "predicted_windows = 276\n", 0,
         "❌ p6_5 (predicted_windows): you predicted 276"),
    Case("the scaler fitted on the whole series (ch6)", "ch6_exercises", "q6_5",
         "def forecast_windows(y, horizon, window):\n"
         "    u = (y - y.mean()) / y.std()\n"
         "    train = u[:len(u) - horizon]\n"
         "    inputs = np.stack([train[k:k + window] for k in range(len(train) - window)])\n"
         "    return inputs, train[window:]\n", 0, "come from the whole series"),
    # graded predictions: a variable, not a function
    Case("prediction right", "ch2_exercises", "p2_1", 'predicted_near = "h_prev"', 1, None),
    Case("prediction wrong (a named misconception)", "ch2_exercises", "p2_2",
         'predicted_trace = "its exact value"', 0,
         "❌ p2_2 (predicted_trace): you predicted 'its exact value'"),
    Case("prediction unanswered (the stub's ...)", "ch2_exercises", "p2_3", None, 0,
         "⏳ p2_3 (predicted_gap): not attempted yet"),
    Case("prediction of the wrong type", "ch2_exercises", "p2_5", "predicted_line = 2", 0,
         "expected one of the strings"),
    Case("prediction deleted (no such variable)", "ch1_exercises", "p1_1",
         "# the learner deleted the prediction\n", 0, "not attempted yet"),
)
