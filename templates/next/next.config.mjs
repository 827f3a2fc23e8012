/** @type {import('next').NextConfig} */
// Host and port are passed by LivePreview on the command line; keep this file to what the app needs.
const nextConfig = {}

export default nextConfig
