// Where `dawnflow fetch data cats-vs-dogs` puts the chapter's photos, in a module of its own so
// that commands can name the place (as a default, in help) without loading the zip reader.

/** The folder of the book's split, inside the output folder. */
export const SMALL_DIR = 'cats_and_dogs_small';
/** The output folder when none is given: where `dawnflow chapter` looks. */
export const CATS_VS_DOGS_OUT = 'data';
