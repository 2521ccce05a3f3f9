"""Index sets (frameworks) as versioned, validated data."""

from dti.framework.loader import FrameworkError, framework_for_type, load_all, load_file, load_framework
from dti.framework.model import Framework, Leaf
from dti.framework.periods import Period

__all__ = ["Framework", "FrameworkError", "Leaf", "framework_for_type", "Period", "load_all", "load_file", "load_framework"]
