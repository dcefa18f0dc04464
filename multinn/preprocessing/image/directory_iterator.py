"""`DirectoryIterator`: augmented batches of the images in a folder of class subfolders
(`ImageDataGenerator.flow_from_directory`)."""
from __future__ import annotations

import os
import warnings
from typing import Any, Iterator as PyIterator, Sequence

from multinn import backend as K
from multinn.backends import host_image as host

from .batch_from_files import BatchFromFilesMixin
from .iterator import Iterator

CLASS_MODES = ("categorical", "binary", "sparse", "input", None)


def iter_valid_files(directory: str, extensions: Sequence[str], follow_links: bool) -> PyIterator[tuple]:
    """(folder, file name) of every file under `directory` with one of `extensions`, folders in sorted
    order and the files of each sorted, as Keras 2 lists them.

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     os.makedirs(os.path.join(d, "sub"))
        ...     for name in ("b.png", "a.JPG", "sub/c.png", "notes.txt"):
        ...         open(os.path.join(d, name), "w").close()
        ...     [(os.path.relpath(root, d), name) for root, name in iter_valid_files(d, ("png", "jpg"), False)]
        [('.', 'a.JPG'), ('.', 'b.png'), ('sub', 'c.png')]
    """
    suffixes = tuple("." + e for e in extensions)
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            lowered = name.lower()
            if lowered.endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              "Please verify your output.", stacklevel=2)
            if lowered.endswith(suffixes):
                yield root, name


def list_valid_filenames_in_directory(directory: str, extensions: Sequence[str], split: "tuple | None",
                                      class_indices: dict, follow_links: bool) -> tuple:
    """(class indices, file names relative to the folder above `directory`) of the images in the class
    folder `directory`, keeping the fraction `split` = (start, stop) of them (in listing order) if given.

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     os.makedirs(os.path.join(d, "cat"))
        ...     for name in ("1.png", "2.png", "3.png", "4.png"):
        ...         open(os.path.join(d, "cat", name), "w").close()
        ...     list_valid_filenames_in_directory(os.path.join(d, "cat"), ("png",), (0, 0.5), {"cat": 7}, False)
        ([7, 7], ['cat/1.png', 'cat/2.png'])
    """
    dirname = os.path.basename(directory)
    files = list(iter_valid_files(directory, extensions, follow_links))
    if split:
        files = files[int(split[0] * len(files)):int(split[1] * len(files))]
    classes = [class_indices[dirname]] * len(files)
    filenames = [os.path.join(dirname, os.path.relpath(os.path.join(root, name), directory)) for root, name in files]
    return classes, filenames


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Batches of the images under `directory`, one subfolder per class, each loaded, resized,
    randomly transformed and standardized by an `ImageDataGenerator` (needs Pillow).

    Args:
        directory: the folder holding one subfolder of images (png, jpg, jpeg, bmp, ppm, tif, tiff,
            searched recursively) per class.
        image_data_generator: the `ImageDataGenerator` (None: no augmentation or standardization).
        target_size: (height, width) every image is resized to.
        color_mode: 'rgb', 'rgba' or 'grayscale'.
        classes: the class subfolders to use, in label order (None: every subfolder, sorted).
        class_mode: the targets: 'categorical' (one-hot), 'binary' or 'sparse' (class indices as
            floats), 'input' (the images themselves) or None (images only).
        batch_size: images per batch.
        shuffle: whether to visit the images in a new random order every epoch (else: sorted order).
        seed: reseeds the shuffles and augmentations.
        data_format: 'channels_last' or 'channels_first' (K's `image_data_format()` when None).
        save_to_dir, save_prefix, save_format: where and how to save every yielded image.
        follow_links: whether to follow symbolic links inside the class folders.
        subset: 'training' or 'validation' with the generator's `validation_split` (the first
            fraction of each class's files is the validation part).
        interpolation: the resampling used to resize ('nearest', 'bilinear', 'bicubic', ...).
        dtype: the dtype of the batches (K's `floatx()` when None).

    Attributes:
        class_indices: {class name: label index}; classes: the label of every image (int32);
        filenames: every image's path relative to `directory`; samples: how many images.

    Example:
        >>> import os, tempfile
        >>> from PIL import Image
        >>> with tempfile.TemporaryDirectory() as d:
        ...     for cls in ("cat", "dog"):
        ...         os.makedirs(os.path.join(d, cls))
        ...         Image.new("RGB", (4, 4)).save(os.path.join(d, cls, "0.png"))
        ...     it = DirectoryIterator(d, None, target_size=(2, 2), shuffle=False)
        ...     x, y = it[0]
        Found 2 images belonging to 2 classes.
        >>> it.class_indices, x.shape, y.tolist()
        ({'cat': 0, 'dog': 1}, (2, 2, 2, 3), [[1.0, 0.0], [0.0, 1.0]])
    """

    allowed_class_modes = set(CLASS_MODES)

    def __init__(self, directory: str, image_data_generator: Any, target_size: Sequence[int] = (256, 256),
                 color_mode: str = "rgb", classes: "list | None" = None, class_mode: "str | None" = "categorical",
                 batch_size: int = 32, shuffle: bool = True, seed: "int | None" = None,
                 data_format: "str | None" = None, save_to_dir: "str | None" = None, save_prefix: str = "",
                 save_format: str = "png", follow_links: bool = False, subset: "str | None" = None,
                 interpolation: str = "nearest", dtype: "str | None" = None):
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation)
        self.directory = directory
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {class_mode!r}; expected one of: {list(CLASS_MODES)}. "
                             f"Received: class_mode={class_mode!r}")
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"flow_from_directory: {directory!r} is not a folder of class subfolders. "
                                    f"Received: directory={directory!r}")
        self.class_mode = class_mode
        self.dtype = dtype or K.floatx()
        if not classes:
            classes = [name for name in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, name))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        labels, self.filenames = [], []
        for name in classes:
            found_labels, found_names = list_valid_filenames_in_directory(
                os.path.join(directory, name), self.white_list_formats, self.split, self.class_indices, follow_links)
            labels += found_labels
            self.filenames += found_names
        self.samples = len(self.filenames)
        self.classes = host.asarray(labels, "int32")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self) -> list:
        return self._filepaths

    @property
    def labels(self) -> Any:
        return self.classes

    @property
    def sample_weight(self) -> None:
        return None
