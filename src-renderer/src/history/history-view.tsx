import { openHistory, selectedTarget, useAppStore } from '../store/app-store.ts';
import type { DeployRef, HistoryPlace } from '../store/places.ts';
import { DeployHistoryList } from './deploy-history-list.tsx';
import { PeerHistory } from './peer-history.tsx';
import { VersionCompare } from './version-compare.tsx';
import { VersionDetail } from './version-detail.tsx';
import { VersionList } from './version-list.tsx';

/** History: all deploys → one deploy's versions → one version (→ compared with another), with a breadcrumb back up. */
export function HistoryView() {
  const place = useAppStore((state) => state.history);
  const target = useAppStore(selectedTarget);
  if (!target) return null;
  if (!target.capabilities.versions)
    return (
      <section className="history" aria-labelledby="history-title">
        <PeerHistory target={target} />
      </section>
    );
  return (
    <section className="history" aria-labelledby="history-title">
      {/* At the top level the heading says where you are; the trail appears once there is a way back. */}
      {place.deploy && <Breadcrumb deploy={place.deploy} place={place} />}
      {!place.deploy && <DeployHistoryList target={target} />}
      {place.deploy && !place.versionId && <VersionList target={target} deploy={place.deploy} />}
      {place.deploy && place.versionId && !place.compareWith && (
        <VersionDetail key={place.versionId} target={target} deploy={place.deploy} versionId={place.versionId} />
      )}
      {place.deploy && place.versionId && place.compareWith && place.versionNo !== undefined && (
        <VersionCompare
          key={`${place.versionId}:${place.compareWith.id}`}
          target={target}
          deploy={place.deploy}
          version={{ id: place.versionId, versionNo: place.versionNo }}
          other={place.compareWith}
        />
      )}
    </section>
  );
}

function Breadcrumb({ deploy, place }: { deploy: DeployRef; place: HistoryPlace }) {
  return (
    <nav className="breadcrumb" aria-label="Where you are in History">
      <ol>
        <li>
          <button type="button" className="link" onClick={() => openHistory({ deploy: null, versionId: null })}>
            All deploys
          </button>
        </li>
        <li>
          {place.versionId ? (
            <button type="button" className="link" onClick={() => openHistory({ deploy, versionId: null })}>
              {deploy.name}
            </button>
          ) : (
            <span aria-current="page">{deploy.name}</span>
          )}
        </li>
        {place.versionId && (
          <li>
            {place.compareWith ? (
              <button
                type="button"
                className="link"
                onClick={() =>
                  openHistory({
                    deploy,
                    versionId: place.versionId,
                    ...(place.versionNo !== undefined && { versionNo: place.versionNo }),
                  })
                }
              >
                {place.versionNo ? `Version #${place.versionNo}` : 'Version'}
              </button>
            ) : (
              <span aria-current="page">{place.versionNo ? `Version #${place.versionNo}` : 'Version'}</span>
            )}
          </li>
        )}
        {place.compareWith && (
          <li>
            <span aria-current="page">Compared with #{place.compareWith.versionNo}</span>
          </li>
        )}
      </ol>
    </nav>
  );
}
