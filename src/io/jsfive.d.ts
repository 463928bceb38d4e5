// Types for the part of jsfive 0.4.x that src/io uses (jsfive ships none). The underscored members
// are internals: h5_read reads object-header messages itself to bound what jsfive would allocate
// and to copy float data straight out of the file.
declare module 'jsfive' {
  /** One object-header message: type (HDF5 message type), size and absolute offset of its body. */
  export interface HeaderMessage {
    get(key: 'type' | 'size' | 'offset_to_message'): number;
  }

  export interface DataObjects {
    msgs: HeaderMessage[];
    offset: number;
  }

  export class Group {
    readonly name: string;
    /** Names of the links in this group (computed on each access). */
    readonly keys: string[];
    /** Parses every attribute message of the object on first access. */
    readonly attrs: Record<string, unknown>;
    /** Throws (a string) when a path component is missing. */
    get(path: string): Group | Dataset | null;
    _dataobjects: DataObjects;
  }

  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }

  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    readonly dtype: unknown;
    /** Decodes the whole dataset into a plain Array. */
    readonly value: unknown;
    _dataobjects: DataObjects;
  }
}
