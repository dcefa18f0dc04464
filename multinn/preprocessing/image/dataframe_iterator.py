"""`DataFrameIterator`: augmented batches of the image files a table names
(`ImageDataGenerator.flow_from_dataframe`)."""
from __future__ import annotations

import os
import warnings
from typing import Any, Sequence

from multinn import backend as K
from multinn.backends import host_image as host

from .batch_from_files import BatchFromFilesMixin
from .iterator import Iterator
from .utils import is_image_file

CLASS_MODES = ("binary", "categorical", "input", "multi_output", "raw", "sparse", None)
_UNLABELLED = ("input", "multi_output", "raw", None)


def table_columns(dataframe: Any) -> dict:
    """{column name: list of values} of a pandas DataFrame, or of a mapping of equally long columns.

    Example:
        >>> table_columns({"filename": ("a.png", "b.png"), "class": ["x", "y"]})
        {'filename': ['a.png', 'b.png'], 'class': ['x', 'y']}
    """
    names = list(dataframe.columns) if hasattr(dataframe, "columns") else list(dataframe.keys())
    columns = {name: list(dataframe[name]) for name in names}
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"The columns of the table must be equally long. Received lengths "
                         f"{ {name: len(values) for name, values in columns.items()} }")
    return columns


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Batches of the images named in a table (a pandas DataFrame, or a dict of equally long columns),
    each loaded, resized, randomly transformed and standardized by an `ImageDataGenerator`.

    Args:
        dataframe: the table: file names in `x_col`, targets in `y_col`, weights in `weight_col`.
        directory: the folder the file names are relative to (None: they are paths as they stand).
        image_data_generator: the `ImageDataGenerator` (None: no augmentation or standardization).
        x_col: the column of file names (strings).
        y_col: the target column (a list of columns for 'raw' and 'multi_output').
        weight_col: a column of numeric sample weights, yielded as the batch's third element.
        target_size, color_mode, batch_size, shuffle, seed, data_format, save_to_dir, save_prefix,
            save_format, subset, interpolation, dtype: as for `DirectoryIterator`; the validation
            subset is the first fraction of the rows.
        classes: the class names to keep, the others' rows dropped (None: every class found);
            label indices follow their sorted order.
        class_mode: 'categorical' (one-hot; a list of classes in a cell gives a multi-label row),
            'binary' (two classes), 'sparse' (class indices), 'raw' (the `y_col` values as they are),
            'multi_output' (one array per column of `y_col`), 'input' (the images) or None.
        validate_filenames: drop (with a warning) rows whose file is missing or not an image.

    Example:
        >>> import os, tempfile
        >>> from PIL import Image
        >>> with tempfile.TemporaryDirectory() as d:
        ...     for name in ("a.png", "b.png", "c.png"):
        ...         Image.new("L", (3, 3)).save(os.path.join(d, name))
        ...     table = {"filename": ["a.png", "b.png", "c.png", "gone.png"], "class": ["x", "y", "x", "y"]}
        ...     it = DataFrameIterator(table, d, None, target_size=(3, 3), color_mode="grayscale",
        ...                            class_mode="sparse", shuffle=False)
        ...     x, y = it[0]
        Found 3 validated image filenames belonging to 2 classes.
        >>> x.shape, y.tolist(), it.class_indices
        ((3, 3, 3, 1), [0.0, 1.0, 0.0], {'x': 0, 'y': 1})
    """

    allowed_class_modes = set(CLASS_MODES)

    def __init__(self, dataframe: Any, directory: "str | None" = None, image_data_generator: Any = None,
                 x_col: str = "filename", y_col: "str | list" = "class", weight_col: "str | None" = None,
                 target_size: Sequence[int] = (256, 256), color_mode: str = "rgb", classes: "list | None" = None,
                 class_mode: "str | None" = "categorical", batch_size: int = 32, shuffle: bool = True,
                 seed: "int | None" = None, data_format: "str | None" = None, save_to_dir: "str | None" = None,
                 save_prefix: str = "", save_format: str = "png", subset: "str | None" = None,
                 interpolation: str = "nearest", dtype: "str | None" = None, validate_filenames: bool = True):
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation)
        columns = table_columns(dataframe)
        self.directory = directory or ""
        self.class_mode = class_mode
        self.dtype = dtype or K.floatx()
        self._check_params(columns, x_col, y_col, weight_col, classes)
        rows = list(range(len(columns[x_col])))
        if validate_filenames:
            rows = self._valid_rows(columns[x_col], rows, x_col)
        labelled = class_mode not in _UNLABELLED
        if labelled:
            rows, classes, kept_labels = self._filter_classes(columns[y_col], rows, y_col, classes)
            self.class_indices = dict(zip(classes, range(len(classes))))
        if self.split:
            rows = rows[int(self.split[0] * len(rows)):int(self.split[1] * len(rows))]
        if labelled:
            self.classes = [self._class_index(kept_labels[row]) for row in rows]
        self.filenames = [columns[x_col][row] for row in rows]
        self._sample_weight = (host.asarray([columns[weight_col][row] for row in rows])
                               if weight_col else None)
        if class_mode == "multi_output":
            self._targets = [host.asarray([columns[col][row] for row in rows]) for col in y_col]
        if class_mode == "raw":
            if isinstance(y_col, (list, tuple)):
                self._targets = host.asarray([[columns[col][row] for col in y_col] for row in rows])
            else:
                self._targets = host.asarray([columns[y_col][row] for row in rows])
        self.samples = len(self.filenames)
        checked = "validated" if validate_filenames else "non-validated"
        if labelled:
            print(f"Found {self.samples} {checked} image filenames belonging to {len(classes)} classes.")
        else:
            print(f"Found {self.samples} {checked} image filenames.")
        self._filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _check_params(self, columns: dict, x_col: str, y_col: Any, weight_col: "str | None",
                      classes: "list | None") -> None:
        mode = self.class_mode
        if mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {mode!r}; expected one of: {list(CLASS_MODES)}. "
                             f"Received: class_mode={mode!r}")
        if mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError(f'If class_mode="{mode}", y_col must be a list. Received: y_col={y_col!r}')
        wanted = [x_col] + ([] if mode in ("input", None) else list(y_col) if isinstance(y_col, list) else [y_col])
        wanted += [weight_col] if weight_col else []
        missing = [name for name in wanted if name not in columns]
        if missing:
            raise ValueError(f"flow_from_dataframe: the table has no column(s) {missing}; "
                             f"it holds {list(columns)}. Received: x_col={x_col!r}, y_col={y_col!r}, "
                             f"weight_col={weight_col!r}")
        if not all(isinstance(value, str) for value in columns[x_col]):
            raise TypeError(f"All values in column x_col={x_col} must be strings.")
        if mode in ("binary", "sparse") and not all(isinstance(value, str) for value in columns[y_col]):
            raise TypeError(f'If class_mode="{mode}", y_col="{y_col}" column values must be strings.')
        if mode == "binary":
            found = len(set(classes)) if classes else len(set(columns[y_col]))
            if found != 2:
                where = "class/es were given" if classes else "classes found"
                raise ValueError(f'If class_mode="binary" there must be 2 classes. {found} {where}.')
        if mode == "categorical" and not all(isinstance(value, (str, list, tuple)) for value in columns[y_col]):
            raise TypeError(f'If class_mode="{mode}", y_col="{y_col}" column values must be type string, list or tuple.')
        if classes and mode in _UNLABELLED:
            warnings.warn(f'`classes` will be ignored given the class_mode="{mode}"', stacklevel=3)
        if weight_col and not all(host.is_numeric_scalar(value) for value in columns[weight_col]):
            raise TypeError(f"Column weight_col={weight_col} must be numeric.")

    def _valid_rows(self, names: list, rows: list, x_col: str) -> list:
        valid = [row for row in rows if is_image_file(os.path.join(self.directory, names[row]),
                                                      self.white_list_formats)]
        if len(valid) < len(rows):
            warnings.warn(f'Found {len(rows) - len(valid)} invalid image filename(s) in x_col="{x_col}". '
                          "These filename(s) will be ignored.", stacklevel=3)
        return valid

    @staticmethod
    def _filter_classes(labels: list, rows: list, y_col: str, classes: "list | None") -> tuple:
        """The rows that keep a class, the sorted class names, and each row's labels narrowed to them."""
        if classes:
            wanted = set(classes)
            kept = {}
            for row in rows:
                value = labels[row]
                if isinstance(value, (list, tuple)):
                    narrowed = [name for name in value if name in wanted]
                    kept[row] = narrowed or None
                elif isinstance(value, str):
                    kept[row] = value if value in wanted else None
                else:
                    raise TypeError(f"Expect string, list or tuple but found {type(value)} in {y_col} column")
            names = wanted
        else:
            kept = {row: labels[row] for row in rows}
            names = set()
            for value in kept.values():
                names.update(value if isinstance(value, (list, tuple)) else [value])
        rows = [row for row in rows if kept[row] is not None]
        return rows, sorted(names), kept

    def _class_index(self, label: Any) -> Any:
        if isinstance(label, (list, tuple)):
            return [self.class_indices[name] for name in label]
        return self.class_indices[label]

    @property
    def filepaths(self) -> list:
        return self._filepaths

    @property
    def labels(self) -> Any:
        return self._targets if self.class_mode in ("multi_output", "raw") else self.classes

    @property
    def sample_weight(self) -> Any:
        return self._sample_weight
