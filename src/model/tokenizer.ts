// Tokenizer and chat template through the maintained libraries: `@huggingface/tokenizers` reads
// `tokenizer.json` (+ `tokenizer_config.json`), `@huggingface/jinja` renders `chat_template`.
// Nothing here re-implements BPE. Runs in browsers and Node.

import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { EvomError } from '../errors.ts';
import { ModelFileNotFoundError, readJson, readJsonIfExists, type ModelSource } from './source.ts';

export class TokenizerError extends EvomError {
  constructor(message: string) { super(message, 'tokenizer'); }
}

export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** Append the assistant header so the model continues as the assistant (default true). */
  addGenerationPrompt?: boolean;
  /** Tool definitions, for templates that support them. */
  tools?: unknown[];
  /** Extra template variables, e.g. `{ enable_thinking: false }` for Qwen3. */
  extra?: Record<string, unknown>;
}

export interface EvomTokenizer {
  /** Token ids of `text`. Special tokens (BOS…) are added only with `addSpecialTokens: true`. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** Text of `ids` (empty for none; ids outside the vocabulary decode to nothing). */
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** The prompt text for a conversation, through the model's chat template. */
  applyChatTemplate(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string;
  /** `applyChatTemplate` then `encode` (no special tokens added: the template writes them). */
  encodeChat(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): number[];
  readonly hasChatTemplate: boolean;
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Ids the tokenizer knows: highest id + 1, added tokens included (config.vocab may be larger). */
  readonly vocabSize: number;
  /** Ids of special added tokens (skipped by `skipSpecialTokens`). */
  readonly specialTokenIds: ReadonlySet<number>;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
}

export interface LoadTokenizerOptions {
  /** Chat template to use instead of the config's (e.g. from a `chat_template.jinja` file). */
  chatTemplate?: string;
  /** More end-of-sequence ids (config.json / generation_config.json), merged after the tokenizer's. */
  eosTokenIds?: readonly number[];
  /**
   * HF's `clean_up_tokenization_spaces` (turns " ." into "." etc. when decoding). Default: the
   * config's value when it has one, else false. Note that it rewrites generated code (" ,", " .").
   */
  cleanUpTokenizationSpaces?: boolean;
}

type Json = Record<string, unknown>;

/** A special token in tokenizer_config.json: a string or an AddedToken object ({content, …}). */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

/** `chat_template` may be a string or a list of named templates ({name, template}); take "default". */
function pickChatTemplate(cfg: Json): string | null {
  const ct = cfg.chat_template;
  if (typeof ct === 'string') return ct;
  if (Array.isArray(ct)) {
    const named = ct as { name?: string; template?: string }[];
    const def = named.find((t) => t.name === 'default') ?? named[0];
    return typeof def?.template === 'string' ? def.template : null;
  }
  return null;
}

export function loadTokenizer(tokenizerJson: object, tokenizerConfig: object | null, opts: LoadTokenizerOptions = {}): EvomTokenizer {
  const tj = tokenizerJson as Json;
  if (typeof tj !== 'object' || tj === null || typeof tj.model !== 'object' || !Array.isArray(tj.added_tokens)) {
    throw new TokenizerError('tokenizer.json: not a Hugging Face tokenizers file (needs "model" and "added_tokens")');
  }
  const cfg: Json = { ...(tokenizerConfig as Json | null ?? {}) };
  // The library defaults clean_up_tokenization_spaces to true when absent; we default to false.
  cfg.clean_up_tokenization_spaces = opts.cleanUpTokenizationSpaces ?? cfg.clean_up_tokenization_spaces ?? false;
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tj, cfg);
  } catch (e) {
    throw new TokenizerError(`tokenizer.json: cannot be loaded (${(e as Error).message})`);
  }

  const added = tj.added_tokens as { id: number; content: string; special?: boolean }[];
  const specialTokenIds = new Set(added.filter((t) => t.special).map((t) => t.id));
  let maxId = -1;
  for (const t of added) maxId = Math.max(maxId, t.id);
  const vocabObj = (tj.model as Json).vocab;
  if (vocabObj && typeof vocabObj === 'object') {
    if (Array.isArray(vocabObj)) maxId = Math.max(maxId, vocabObj.length - 1); // Unigram: [[piece, score], …]
    else for (const id of Object.values(vocabObj as Record<string, number>)) if (id > maxId) maxId = id;
  }

  const idOf = (v: unknown): number | null => {
    const c = tokenContent(v);
    if (c === null) return null;
    return tok.token_to_id(c) ?? null;
  };
  const eos: number[] = [];
  const cfgEos = idOf(cfg.eos_token);
  if (cfgEos !== null) eos.push(cfgEos);
  for (const id of opts.eosTokenIds ?? []) if (!eos.includes(id)) eos.push(id);

  const templateText = opts.chatTemplate ?? pickChatTemplate(cfg);
  let template: Template | null = null;
  const templateVars: Record<string, unknown> = {};
  for (const k of ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const) {
    templateVars[k] = tokenContent(cfg[k]) ?? '';
  }

  const encode = (text: string, o: { addSpecialTokens?: boolean } = {}): number[] =>
    tok.encode(text, { add_special_tokens: o.addSpecialTokens ?? false }).ids;

  const api: EvomTokenizer = {
    encode,
    decode(ids, o = {}) {
      if (ids.length === 0) return ''; // the library throws on an empty array
      return tok.decode([...ids], { skip_special_tokens: o.skipSpecialTokens ?? false });
    },
    applyChatTemplate(messages, o = {}) {
      if (templateText === null) {
        throw new TokenizerError('this tokenizer has no chat template (tokenizer_config.json has no "chat_template"); pass one with { chatTemplate }');
      }
      if (!template) {
        try { template = new Template(templateText); } catch (e) {
          throw new TokenizerError(`chat template does not parse: ${(e as Error).message}`);
        }
      }
      try {
        return template.render({
          ...templateVars,
          messages: messages.map((m) => ({ ...m })),
          add_generation_prompt: o.addGenerationPrompt ?? true,
          ...(o.tools ? { tools: o.tools } : {}),
          ...o.extra,
        });
      } catch (e) {
        throw new TokenizerError(`chat template failed: ${(e as Error).message}`);
      }
    },
    encodeChat(messages, o) { return encode(api.applyChatTemplate(messages, o), { addSpecialTokens: false }); },
    hasChatTemplate: templateText !== null,
    eosTokenIds: eos,
    bosTokenId: idOf(cfg.bos_token),
    padTokenId: idOf(cfg.pad_token),
    vocabSize: maxId + 1,
    specialTokenIds,
    idToToken: (id) => tok.id_to_token(id),
    tokenToId: (t) => tok.token_to_id(t),
  };
  return api;
}

/**
 * The tokenizer of a model source: `tokenizer.json`, `tokenizer_config.json` (optional),
 * `chat_template.jinja` (optional, newer checkpoints keep the template there). Returns null when the
 * source has no `tokenizer.json`.
 */
export async function loadTokenizerFromSource(source: ModelSource, opts: LoadTokenizerOptions = {}): Promise<EvomTokenizer | null> {
  let tj: unknown;
  try {
    tj = await readJson(source, 'tokenizer.json');
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) return null;
    throw e;
  }
  const tc = await readJsonIfExists(source, 'tokenizer_config.json');
  let chatTemplate = opts.chatTemplate;
  if (chatTemplate === undefined && !(tc && typeof tc === 'object' && 'chat_template' in tc)) {
    try { chatTemplate = await source.readText('chat_template.jinja'); } catch (e) {
      if (!(e instanceof ModelFileNotFoundError)) throw e;
    }
  }
  return loadTokenizer(tj as object, tc as object | null, { ...opts, chatTemplate });
}

export interface StreamDecoder {
  /** Feed one generated id; returns the text that is now complete (often '', never half a character). */
  push(id: number): string;
  /** Text still held back (an incomplete character at the very end), decoded as is. */
  flush(): string;
  /** All text emitted so far. */
  readonly text: string;
}

/**
 * Incremental detokenization. Byte-level BPE splits one character over several tokens (emoji, rare
 * CJK), and SentencePiece-style decoders drop a leading space on the first token, so decoding token
 * by token is wrong. This keeps a small window of ids: it decodes [prefix…new] and emits what follows
 * the decoded prefix, only once the result does not end in U+FFFD (an incomplete UTF-8 sequence).
 * Cost per token is bounded by the window, not the sequence length.
 */
export function createStreamDecoder(tokenizer: Pick<EvomTokenizer, 'decode'>, opts: { skipSpecialTokens?: boolean } = {}): StreamDecoder {
  const ids: number[] = [];
  let prefixOffset = 0;
  let readOffset = 0;
  let text = '';
  const dec = (a: number, b: number) => tokenizer.decode(ids.slice(a, b), { skipSpecialTokens: opts.skipSpecialTokens });
  const MAX_PENDING = 16; // invalid byte sequences are emitted anyway after this many tokens
  return {
    push(id) {
      ids.push(id);
      const prefix = readOffset > prefixOffset ? dec(prefixOffset, readOffset) : '';
      const full = dec(prefixOffset, ids.length);
      const pending = ids.length - readOffset;
      if (full.length > prefix.length && (!full.endsWith('\uFFFD') || pending >= MAX_PENDING) && full.startsWith(prefix)) {
        const piece = full.slice(prefix.length);
        prefixOffset = readOffset;
        readOffset = ids.length;
        text += piece;
        return piece;
      }
      if (!full.startsWith(prefix) && pending >= MAX_PENDING) {
        // A decoder that rewrites the prefix (should not happen): restart the window here.
        prefixOffset = readOffset = ids.length;
      }
      return '';
    },
    flush() {
      if (readOffset >= ids.length) return '';
      const prefix = readOffset > prefixOffset ? dec(prefixOffset, readOffset) : '';
      const full = dec(prefixOffset, ids.length);
      const piece = full.startsWith(prefix) ? full.slice(prefix.length) : full;
      prefixOffset = readOffset;
      readOffset = ids.length;
      text += piece;
      return piece;
    },
    get text() { return text; },
  };
}
