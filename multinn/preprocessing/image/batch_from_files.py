"""`BatchFromFilesMixin`: loading, augmenting and labelling batches of image files, shared by
`DirectoryIterator` and `DataFrameIterator`."""
from __future__ import annotations

import os
from typing import Any, Sequence

from multinn.backends import host_image as host

from .utils import array_to_img, check_data_format, img_to_array, load_img

_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


class BatchFromFilesMixin:
    """Reads the image files at `filepaths` into batches, with labels chosen by `class_mode`.

    A subclass sets `filepaths` (a list of paths), `classes` (one class index, or a list of them,
    per file, for 'binary', 'sparse' and 'categorical'), `labels` (the targets for 'raw' and
    'multi_output'), `sample_weight` (None or one weight per file) and `class_indices`, and calls
    `set_processing_attrs` before `Iterator.__init__`.

    Example:
        >>> from multinn.preprocessing.image import DirectoryIterator
        >>> issubclass(DirectoryIterator, BatchFromFilesMixin)
        True
    """

    def set_processing_attrs(self, image_data_generator: Any, target_size: Sequence[int], color_mode: str,
                             data_format: "str | None", save_to_dir: "str | None", save_prefix: str,
                             save_format: str, subset: "str | None", interpolation: str) -> None:
        """Stores how files become arrays (size, colours, layout), where augmented copies are saved,
        and which fraction of the files `subset` keeps (`self.split`, None for all).

        Example:
            >>> from multinn.preprocessing.image import ImageDataGenerator
            >>> m = BatchFromFilesMixin()
            >>> m.set_processing_attrs(ImageDataGenerator(validation_split=0.2), (8, 6), "rgba",
            ...                        "channels_first", None, "", "png", "validation", "nearest")
            >>> m.image_shape, m.split
            ((4, 8, 6), (0, 0.2))
        """
        self.image_data_generator = image_data_generator
        self.target_size = tuple(int(d) for d in target_size)
        if color_mode not in _CHANNELS:
            raise ValueError(f'Invalid color mode: {color_mode!r}; expected "rgb", "rgba", or "grayscale". '
                             f"Received: color_mode={color_mode!r}")
        self.color_mode = color_mode
        self.data_format = check_data_format(data_format, type(self).__name__)
        channels = (_CHANNELS[color_mode],)
        self.image_shape = (self.target_size + channels if self.data_format == "channels_last"
                            else channels + self.target_size)
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        if subset is not None:
            validation_split = image_data_generator._validation_split
            if subset == "validation":
                split = (0, validation_split)
            elif subset == "training":
                split = (validation_split, 1)
            else:
                raise ValueError(f'Invalid subset name: {subset!r}; expected "training" or "validation". '
                                 f"Received: subset={subset!r}")
        else:
            split = None
        self.split = split
        self.subset = subset

    def _get_batches_of_transformed_samples(self, index_array: Any) -> Any:
        batch_x = host.zeros((len(index_array),) + self.image_shape, self.dtype)
        filepaths = self.filepaths
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            img = load_img(filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation)
            x = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
            if generator:
                params = generator.get_random_transform(x.shape)
                x = generator.standardize(generator.apply_transform(x, params))
            batch_x[i] = x
        if self.save_to_dir:
            for i, j in enumerate(index_array):
                img = array_to_img(batch_x[i], self.data_format, scale=True)
                name = f"{self.save_prefix}_{j}_{host.randint(10 ** 7)}.{self.save_format}"
                img.save(os.path.join(self.save_to_dir, name))
        mode = self.class_mode
        if mode == "input":
            batch_y = host.copy(batch_x)
        elif mode in ("binary", "sparse"):
            batch_y = host.asarray([self.classes[j] for j in index_array], self.dtype)
        elif mode == "categorical":
            batch_y = host.one_hot([self.classes[j] for j in index_array], len(self.class_indices), self.dtype)
        elif mode == "multi_output":
            batch_y = [output[index_array] for output in self.labels]
        elif mode == "raw":
            batch_y = self.labels[index_array]
        else:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]

    @property
    def filepaths(self) -> list:
        """The absolute (or directory-joined) path of every sample, in sample order."""
        raise NotImplementedError(f"{type(self).__name__} must define `filepaths`")

    @property
    def labels(self) -> Any:
        """The targets of every sample."""
        raise NotImplementedError(f"{type(self).__name__} must define `labels`")

    @property
    def sample_weight(self) -> Any:
        """None, or one weight per sample."""
        raise NotImplementedError(f"{type(self).__name__} must define `sample_weight`")
