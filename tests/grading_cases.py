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
    Case("unanswered (the student notebook's stub)", "ch4_exercises", "q4_2", None, 0,
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
         "q4_5",
         "from utils.budget import concat_to_torch as _course_concat\n"
         "\n"
         "def concat_to_torch(W, b, hidden_size):\n"
         "    d = _course_concat(W, b, int(hidden_size))\n"
         "    return d['weight_ih'], d['weight_hh'], d['bias_ih'], d['bias_hh']\n",
         0, "calls the reference implementation"),
    Case("returns a reference's output (hidden_for_budget)", "ch4_exercises", "q4_3",
         "from utils.budget import hidden_for_budget, param_count_as\n"
         "\n"
         "def gru_hidden_for_lstm_budget(input_size, lstm_hidden):\n"
         "    i, h = int(input_size), int(lstm_hidden)\n"
         "    return hidden_for_budget('gru', i, param_count_as('lstm', i, h))\n",
         0, "calls the reference implementation"),
    Case("honest: calls the course's count, returns its own", "ch4_exercises", "q4_4",
         "from utils.budget import param_count_as\n" + SOLUTION, 2, None,
         body="_ = param_count_as('lstm', 3, 300)  # compared while debugging\n"),
    Case("right (ch4, the master's answer)", "ch4_exercises", "q4_1", SOLUTION, 3, None),
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
