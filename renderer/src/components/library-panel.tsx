import { useEffect, useState } from 'react'
import type { FormEvent, JSX } from 'react'
import type { ModelSummary } from '../contract'
import { formatBytes } from '../../../shared/format-bytes'
import { useAppStore } from '../store/app-store'
import { useLibraryStore } from '../store/library-store'

const SOURCE_LABELS: Record<ModelSummary['source'], string> = {
  'built-in': 'built in',
  added: 'added',
  downloaded: 'downloaded'
}

/**
 * The model's preview methods and tiny decoder; for SD 1.x/2.x and SDXL models without one, the
 * TAESD download that gives them full-resolution previews (through the download manager).
 */
function ModelPreviewsLine({ model }: { model: ModelSummary }): JSX.Element {
  const start = useLibraryStore((s) => s.startDownload)
  const downloads = useLibraryStore((s) => s.downloads)
  const p = model.previews
  const offer = p.offer
  const running =
    offer !== null && downloads.some((d) => d.repo === offer.repo && d.state === 'running')
  return (
    <span className="library-meta" data-testid={`library-previews-${model.id}`}>
      Previews: {p.methods.join(', ')} (default {p.defaultMethod})
      {p.decoder !== null && (
        <>
          {' '}
          · tiny decoder{' '}
          {p.decoder.source === 'model' ? p.decoder.label : `${p.decoder.label}, downloaded`}
        </>
      )}
      {offer !== null && (
        <>
          {' '}
          <button
            type="button"
            className="link-button"
            data-testid={`get-preview-decoder-${model.id}`}
            disabled={running}
            title={`Downloads ${offer.repo} (only its decoder, about ${offer.approxDownloadMB} MB) for tiny previews of every ${model.familyLabel} model`}
            onClick={() => void start({ repo: offer.repo })}
          >
            {running
              ? `Getting ${offer.name}…`
              : `Get tiny previews (${offer.approxDownloadMB} MB)`}
          </button>
        </>
      )}
    </span>
  )
}

/** One model of the library, with Remove (asking once more) for the user's own entries. */
function LibraryItem({ model }: { model: ModelSummary }): JSX.Element {
  const remove = useLibraryStore((s) => s.remove)
  const [confirming, setConfirming] = useState(false)
  const d = model.defaults
  return (
    <li className="library-item" data-testid={`library-item-${model.id}`}>
      <div className="library-text">
        <span className="library-name">{model.name}</span>
        <span className="library-meta" data-testid={`library-meta-${model.id}`}>
          {model.familyLabel} · {model.precision} · {formatBytes(model.sizeBytes)} ·{' '}
          {SOURCE_LABELS[model.source]}
        </span>
        <span className="library-meta">
          {d.numInferenceSteps} step{d.numInferenceSteps === 1 ? '' : 's'} · guidance{' '}
          {d.guidanceScale} ({d.cfg ? 'CFG' : 'no CFG'}) · {d.width}×{d.height}
        </span>
        <ModelPreviewsLine model={model} />
        <span className="library-path" title={model.path}>
          {model.path}
        </span>
      </div>
      {!model.builtIn &&
        (confirming ? (
          <span className="library-actions">
            <button
              type="button"
              data-testid={`remove-model-confirm-${model.id}`}
              onClick={() => void remove(model.id)}
            >
              Remove from library
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button
            type="button"
            data-testid={`remove-model-${model.id}`}
            aria-label={`Remove ${model.name} from the library (its files stay)`}
            onClick={() => setConfirming(true)}
          >
            Remove
          </button>
        ))}
    </li>
  )
}

/**
 * The model library: every model with its family, precision, size and defaults; folders that
 * cannot be used, with main's reason; adding a folder by the OS dialog (Electron), by dropping
 * it on the window (Electron), or by typing its path (both modes; the only way in a browser,
 * which does not reveal the paths of dropped folders).
 */
export function LibraryPanel(): JSX.Element {
  const listing = useLibraryStore((s) => s.listing)
  const error = useLibraryStore((s) => s.error)
  const adding = useLibraryStore((s) => s.adding)
  const refresh = useLibraryStore((s) => s.refresh)
  const addFolder = useLibraryStore((s) => s.addFolder)
  const pickFolder = useLibraryStore((s) => s.pickFolder)
  const clearError = useLibraryStore((s) => s.clearError)
  const remove = useLibraryStore((s) => s.remove)
  const mode = useAppStore((s) => s.capabilities?.mode)
  const api = useAppStore((s) => s.api)
  const [path, setPath] = useState('')

  useEffect(() => {
    if (api !== null) void refresh()
  }, [api, refresh])

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault()
    void addFolder(path).then((added) => {
      if (added !== null) setPath('')
    })
  }
  const models = listing?.models ?? []
  const problems = listing?.problems ?? []
  return (
    <section className="library" aria-labelledby="library-heading" data-testid="library">
      <h2 id="library-heading" className="section-title">
        Models <span className="muted">{models.length}</span>
      </h2>
      <ul className="library-list" data-testid="library-list">
        {models.map((m) => (
          <LibraryItem key={m.id} model={m} />
        ))}
      </ul>
      {problems.length > 0 && (
        <ul
          className="library-problems"
          aria-label="Folders that cannot be used"
          data-testid="library-problems"
        >
          {problems.map((p) => (
            <li key={p.path}>
              <span className="library-path">{p.path}</span>
              <span className="field-error">{p.message}</span>
              {p.id !== null && (
                <button type="button" onClick={() => void remove(p.id as string)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="library-add" onSubmit={onSubmit} aria-label="Add a model folder">
        {mode === 'electron' && (
          <button
            type="button"
            data-testid="add-model-button"
            disabled={adding}
            onClick={() => void pickFolder()}
          >
            Add model folder…
          </button>
        )}
        <label htmlFor="model-path">
          {mode === 'electron'
            ? 'or drop a folder on the window, or type its path'
            : 'Model folder path'}
        </label>
        <div className="library-path-row">
          <input
            id="model-path"
            data-testid="model-path-input"
            type="text"
            spellCheck={false}
            placeholder="/path/to/an/onnx/model (with model_index.json)"
            value={path}
            onChange={(e) => setPath(e.target.value)}
          />
          <button
            type="submit"
            data-testid="add-model-path-button"
            disabled={adding || path.trim() === ''}
          >
            {adding ? 'Checking…' : 'Add'}
          </button>
        </div>
      </form>
      {error !== null && (
        <div className="library-error" role="alert">
          <p data-testid="library-error">{error}</p>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={clearError}>
            ✕
          </button>
        </div>
      )}
    </section>
  )
}
