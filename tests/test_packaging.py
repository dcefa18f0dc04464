"""A regular (non-editable) install maps the top-level folder backends/ to multinn.backends."""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_regular_install_gives_multinn_backends(tmp_path):
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
         "--target", str(target), str(ROOT)],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert (target / "multinn" / "backends" / "base.py").exists()
    assert not (target / "backends").exists(), "nothing named `backends` may land in site-packages"
    run = subprocess.run(
        [sys.executable, "-c", "import multinn.backends as b, multinn.backend as K; print(b.__file__, b.available(), K.backend())"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert "numpy" in run.stdout, run.stderr[-2000:]
    assert run.stdout.startswith(str(target)), run.stdout


def test_the_source_tree_imports_before_any_install(tmp_path):
    for folder in ("multinn", "backends"):
        subprocess.run(["cp", "-r", str(ROOT / folder), str(tmp_path / folder)], check=True)
    run = subprocess.run(
        [sys.executable, "-c", "import multinn.backends as b, multinn.backend as K; print(b.__file__, K.backend())"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith(str(tmp_path / "backends")), run.stdout


def test_the_cuda_extras_bring_the_cuda_runtime_for_a_driver_only_machine():
    # CuPy 13's wheels have no [ctk] extra and need a system CUDA toolkit; CuPy 14's [ctk]
    # extra requires cuda-toolkit[cublas,cudart,cufft,curand,cusolver,cusparse,nvrtc].
    text = (ROOT / "pyproject.toml").read_text()
    extras = dict(re.findall(r'^(cuda1[23]) = \["([^"]+)"\]', text, re.MULTILINE))
    assert extras == {"cuda12": "cupy-cuda12x[ctk]>=14", "cuda13": "cupy-cuda13x[ctk]>=14"}


def test_the_examples_extra_has_what_the_main_job_imports_or_writes():
    # README step 1 is `pip install '.[examples]' && python examples/digits_mlp.py`: the test
    # extra (what CI installs) must not be the only place its needs are listed.
    text = (ROOT / "pyproject.toml").read_text()
    examples = re.search(r'^examples = \[([^\]]*)\]', text, re.MULTILINE).group(1)
    main_job = (ROOT / "examples" / "digits_mlp.py").read_text()
    assert "scikit-learn" in examples  # the digits ship inside scikit-learn
    if re.search(r'\.h5"', main_job):
        assert "h5py" in examples  # .h5 names are written in Keras 2's HDF5 layout
