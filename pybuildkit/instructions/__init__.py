"""Typed instructions: one frozen dataclass per Dockerfile instruction, made from syntax nodes.

Nothing here expands variables: values are as written. `pybuildkit.plan` expands them per stage.
"""

from __future__ import annotations

from pybuildkit.instructions.args import ArgDefinition, ArgInstruction
from pybuildkit.instructions.base import InlineFile, InstructionBase, KeyValue
from pybuildkit.instructions.config import (
    EnvInstruction,
    ExposeInstruction,
    LabelInstruction,
    MaintainerInstruction,
    PortSpec,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
    parse_port,
)
from pybuildkit.instructions.files import AddInstruction, CopyInstruction, FilesInstruction, SourceContent
from pybuildkit.instructions.mounts import Mount, MountType, ShareMode, parse_mount
from pybuildkit.instructions.onbuild import OnbuildInstruction
from pybuildkit.instructions.parse import Instruction, parse_instruction
from pybuildkit.instructions.process import (
    DEFAULT_SHELL,
    CmdInstruction,
    EntrypointInstruction,
    HealthcheckInstruction,
    ShellInstruction,
)
from pybuildkit.instructions.run import Device, NetworkMode, RunInstruction, SecurityMode, parse_device
from pybuildkit.instructions.stage import FromInstruction

__all__ = [
    "DEFAULT_SHELL",
    "AddInstruction",
    "ArgDefinition",
    "ArgInstruction",
    "CmdInstruction",
    "CopyInstruction",
    "Device",
    "EntrypointInstruction",
    "EnvInstruction",
    "ExposeInstruction",
    "FilesInstruction",
    "FromInstruction",
    "HealthcheckInstruction",
    "InlineFile",
    "Instruction",
    "InstructionBase",
    "KeyValue",
    "LabelInstruction",
    "MaintainerInstruction",
    "Mount",
    "MountType",
    "NetworkMode",
    "OnbuildInstruction",
    "PortSpec",
    "RunInstruction",
    "SecurityMode",
    "ShareMode",
    "ShellInstruction",
    "SourceContent",
    "StopsignalInstruction",
    "UserInstruction",
    "VolumeInstruction",
    "WorkdirInstruction",
    "parse_device",
    "parse_instruction",
    "parse_mount",
    "parse_port",
]
