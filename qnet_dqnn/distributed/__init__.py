"""Distributed training over the simulated network: the strategy registry, the training context, the QPU
workers, and the strategies (single QPU, data parallel, coherent and incoherent model splitting)."""

from qnet_dqnn.distributed import async_ps as _async_ps  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import bayes_opt as _bayes_opt  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import coherent as _coherent  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import coreset as _coreset  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import cut as _cut  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import fedavg as _fedavg  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import hybrid as _hybrid  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import parameter_server as _parameter_server  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import pipeline as _pipeline  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import ring_allreduce as _ring_allreduce  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import single as _single  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed import teleport_data as _teleport_data  # noqa: F401  (registers the strategy)
from qnet_dqnn.distributed.context import Recorder, TrainingContext
from qnet_dqnn.distributed.qpu import QPU, qpu_noise, qpu_timing
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import STRATEGIES, Strategy, register_strategy

__all__ = [
    "QPU",
    "STRATEGIES",
    "Recorder",
    "Strategy",
    "TrainSpec",
    "TrainingContext",
    "qpu_noise",
    "qpu_timing",
    "register_strategy",
]
