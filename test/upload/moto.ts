/**
 * A moto_server (Python's S3 mock, installed on these machines) started by a test on loopback and
 * stopped by it. moto accepts any credentials and, unlike S3, does not verify the checksums it is
 * sent: what catches a bad copy in these tests is the station's own verification.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** Null when moto_server can be started; else why not (the S3 tests are skipped with it). */
export const motoMissing: string | null = (() => {
  const r = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  return r.error || r.status !== 0 ? 'moto_server is not installed (Python moto[server]); the S3 target tests are skipped' : null;
})();

export const motoCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface Moto {
  endpoint: string;
  /** The moto_server process (the upload bench reads its CPU time). */
  pid: number;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    const ok = await fetch(`${endpoint}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('moto_server did not answer within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { ...motoCredentials } }); // a copy: the SDK marks the object it is given
  return {
    endpoint,
    pid: child.pid!,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
